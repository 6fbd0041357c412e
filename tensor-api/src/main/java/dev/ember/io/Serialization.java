package dev.ember.io;

import dev.ember.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads any nested container of tensors, PyTorch's {@code torch.save(obj, f)} and {@code
 * torch.load(f)}: a model's state dict, an optimizer's, a training checkpoint as one map.
 *
 * <pre>{@code
 * Serialization.save(Map.of("model", model.stateDict(), "optim", opt.stateDict(), "epoch", 5), path);
 * Map<?, ?> ckpt = (Map<?, ?>) Serialization.load(path);
 * }</pre>
 *
 * <p>What can be saved: {@code null}, {@link Tensor}, {@link String}, {@link Boolean}, {@link
 * Integer}, {@link Long}, {@link Float}, {@link Double}, the arrays {@code int[]}, {@code long[]},
 * {@code float[]}, {@code double[]}, {@code boolean[]}, any {@link List}, and any {@link Map} whose
 * keys are strings, integers or longs, nested to {@link #MAX_NESTING} containers. Each comes back as
 * the same Java type (lists as {@link ArrayList}, maps as {@link LinkedHashMap} in the saved order);
 * a tensor object that appears twice is stored once and loads as one object. Tensors load on the
 * CPU, detached, with their dtype and shape (0-d and empty tensors included).
 *
 * <p>Format: a <a href="https://github.com/huggingface/safetensors">safetensors</a> file whose
 * tensors are named {@code "0"}, {@code "1"}, ... and whose {@code __metadata__} holds {@code
 * "ember.format": "ember.save/1"} and {@code "ember.object"}, the object as JSON with every value
 * tagged by its type: {@code {"tensor": "0"}}, {@code {"str": "..."}}, {@code {"bool": true}},
 * {@code {"int": "5"}} (Integer), {@code {"long": "5"}}, {@code {"float": "0.5"}} (Float), {@code
 * {"double": "0.1"}} (numbers as the strings {@code toString} writes, so NaN and every bit read
 * back exactly), {@code {"double[]": ["0.9", "0.999"]}} (likewise {@code int[]}, {@code long[]},
 * {@code float[]}, {@code boolean[]}), {@code {"list": [...]}}, {@code {"map": [[key, value], ...]}},
 * and JSON {@code null}. Loading parses JSON and copies bytes into tensors of the five dtypes
 * safetensors names: it never runs code from the file or names a class, unlike a Python pickle.
 * PyTorch's own {@code .pt} files (pickles) are not read; {@code safetensors.torch.load_file} reads
 * the tensors of an Ember save file.
 *
 * <p>Saving to a file is atomic (a temporary file renamed over the target, as {@link Safetensors}
 * does): a crash leaves the previous file whole. Streams are written and read through a temporary
 * file.
 */
public final class Serialization {
  /** The value of the {@code "ember.format"} metadata entry. */
  public static final String FORMAT = "ember.save/1";
  /** The deepest nesting of lists and maps {@link #save} accepts. */
  public static final int MAX_NESTING = 20;

  private static final String FORMAT_KEY = "ember.format";
  private static final String OBJECT_KEY = "ember.object";

  private Serialization() {}

  // ------------------------------------------------------------------------------------ saving

  /**
   * Saves {@code obj} to {@code file} atomically, PyTorch's {@code torch.save(obj, path)}.
   *
   * @throws IllegalArgumentException naming the path inside {@code obj} (like {@code
   *     ["state"][0]["step"]}) of a value that cannot be saved
   * @throws IOException if the file cannot be written; the previous file, if any, is left whole
   */
  public static void save(Object obj, Path file) throws IOException {
    Encoder enc = new Encoder();
    String json = Json.write(enc.encode(obj, "", 0));
    // The header also lists the tensors (about 100 bytes each); a loader refuses a larger one.
    if (json.length() * 4L + enc.tensors.size() * 200L > Safetensors.MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("save: the object's non-tensor values need " + json.length()
          + " characters of JSON, more than a file's header may hold (" + Safetensors.MAX_HEADER_BYTES
          + " bytes); store large arrays as tensors");
    }
    Safetensors.save(enc.tensors, file, Map.of(FORMAT_KEY, FORMAT, OBJECT_KEY, json));
  }

  /**
   * Writes {@code obj} to {@code out} (which stays open), PyTorch's {@code torch.save(obj,
   * buffer)}.
   *
   * @throws IllegalArgumentException as {@link #save(Object, Path)}
   * @throws IOException if writing fails
   */
  public static void save(Object obj, OutputStream out) throws IOException {
    Path tmp = Files.createTempFile("ember-save", ".safetensors");
    try {
      save(obj, tmp);
      Files.copy(tmp, out);
      out.flush();
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static final class Encoder {
    final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
    final Map<Tensor, String> names = new IdentityHashMap<>();

    Object encode(Object v, String path, int nesting) {
      if (v == null) {
        return null;
      }
      if (v instanceof Tensor t) {
        return Map.of("tensor", names.computeIfAbsent(t, k -> {
          String name = Integer.toString(tensors.size());
          tensors.put(name, k.detach());
          return name;
        }));
      }
      if (v instanceof String s) {
        return Map.of("str", s);
      }
      if (v instanceof Boolean b) {
        return Map.of("bool", b);
      }
      if (v instanceof Integer || v instanceof Long || v instanceof Float || v instanceof Double) {
        return Map.of(scalarTag(v), v.toString());
      }
      if (v instanceof int[] || v instanceof long[] || v instanceof float[] || v instanceof double[]
          || v instanceof boolean[]) {
        return Map.of(arrayTag(v), arrayStrings(v));
      }
      if (v instanceof List<?> || v instanceof Map<?, ?>) {
        if (nesting >= MAX_NESTING) {
          throw new IllegalArgumentException("save: " + where(path) + " nests lists and maps deeper than "
              + MAX_NESTING);
        }
      }
      if (v instanceof List<?> l) {
        List<Object> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
          out.add(encode(l.get(i), path + "[" + i + "]", nesting + 1));
        }
        return Map.of("list", out);
      }
      if (v instanceof Map<?, ?> m) {
        List<Object> out = new ArrayList<>(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) {
          Object k = e.getKey();
          if (!(k instanceof String || k instanceof Integer || k instanceof Long)) {
            throw new IllegalArgumentException("save: " + where(path) + " has a map key of type "
                + (k == null ? "null" : k.getClass().getName()) + "; keys must be String, Integer or Long");
          }
          String keyPath = path + "[" + (k instanceof String ? "\"" + k + "\"" : k) + "]";
          out.add(List.of(encode(k, keyPath, nesting + 1), encodeNullable(e.getValue(), keyPath, nesting + 1)));
        }
        return Map.of("map", out);
      }
      throw new IllegalArgumentException("save: " + where(path) + " is a " + v.getClass().getName()
          + ", which cannot be saved (tensors, strings, numbers, booleans, primitive arrays, lists and maps"
          + " can)");
    }

    /** JSON's null inside {@code List.of} is not allowed: a one-element list holds it. */
    private Object encodeNullable(Object v, String path, int nesting) {
      Object e = encode(v, path, nesting);
      return e == null ? JSON_NULL : e;
    }
  }

  /** Stands for JSON null where an immutable collection cannot hold null. */
  private static final Map<String, Object> JSON_NULL = Map.of("null", Boolean.TRUE);

  private static String where(String path) {
    return path.isEmpty() ? "the object" : "the value at " + path;
  }

  private static String scalarTag(Object v) {
    return v instanceof Integer ? "int" : v instanceof Long ? "long" : v instanceof Float ? "float" : "double";
  }

  private static String arrayTag(Object v) {
    return v instanceof int[] ? "int[]" : v instanceof long[] ? "long[]" : v instanceof float[] ? "float[]"
        : v instanceof double[] ? "double[]" : "boolean[]";
  }

  private static List<String> arrayStrings(Object array) {
    int n = java.lang.reflect.Array.getLength(array);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(String.valueOf(java.lang.reflect.Array.get(array, i)));
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ loading

  /**
   * Loads what {@link #save(Object, Path)} wrote, PyTorch's {@code torch.load(path)} (with {@code
   * weights_only=True}'s guarantee: nothing in the file is run).
   *
   * @throws SerializationException naming the file and the problem if it is not an Ember save file
   *     or is corrupt (a {@link SafetensorsException} for a broken safetensors layer)
   * @throws IOException if the file cannot be read
   */
  public static Object load(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    return decodeFile(file.toString(), c);
  }

  /**
   * Reads what {@link #save(Object, OutputStream)} wrote from {@code in} (to its end; the stream
   * stays open), PyTorch's {@code torch.load(buffer)}.
   *
   * @throws SerializationException if the bytes are not an Ember save file or are corrupt
   * @throws IOException if reading fails
   */
  public static Object load(InputStream in) throws IOException {
    Path tmp = Files.createTempFile("ember-load", ".safetensors");
    try {
      Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Safetensors.Contents c;
      try {
        c = Safetensors.read(tmp);
      } catch (SafetensorsException e) {
        throw new SerializationException("<stream>", e.getMessage().replace(tmp.toString(), "<stream>"), e);
      }
      return decodeFile("<stream>", c);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static Object decodeFile(String source, Safetensors.Contents c) throws SerializationException {
    String format = c.metadata().get(FORMAT_KEY);
    if (!FORMAT.equals(format)) {
      throw new SerializationException(source, format == null
          ? "not an Ember save file (no '" + FORMAT_KEY + "' metadata); a plain safetensors file loads with"
              + " Safetensors.load"
          : "unsupported format '" + format + "' (this version reads '" + FORMAT + "')");
    }
    String json = c.metadata().get(OBJECT_KEY);
    if (json == null) {
      throw new SerializationException(source, "the '" + OBJECT_KEY + "' metadata entry is missing");
    }
    Object tree;
    try {
      tree = Json.parse(json);
    } catch (IllegalArgumentException e) {
      throw new SerializationException(source, "the '" + OBJECT_KEY + "' entry is not valid JSON: "
          + e.getMessage(), e);
    }
    Decoder d = new Decoder(source, c.tensors());
    Object obj = d.decode(tree, "");
    for (String name : c.tensors().keySet()) {
      if (!d.used.contains(name)) {
        throw new SerializationException(source, "tensor '" + name + "' is stored but not referenced by the"
            + " object");
      }
    }
    return obj;
  }

  private static final class Decoder {
    final String source;
    final Map<String, Tensor> tensors;
    final java.util.Set<String> used = new java.util.HashSet<>();

    Decoder(String source, Map<String, Tensor> tensors) {
      this.source = source;
      this.tensors = tensors;
    }

    Object decode(Object node, String path) throws SerializationException {
      if (node == null) {
        return null;
      }
      if (!(node instanceof Map<?, ?> m) || m.size() != 1) {
        throw bad(path, "expected a tagged value {\"<type>\": ...}, got " + Json.typeName(node));
      }
      Map.Entry<?, ?> e = m.entrySet().iterator().next();
      String tag = (String) e.getKey();
      Object body = e.getValue();
      try {
        switch (tag) {
          case "null":
            return null;
          case "tensor": {
            String name = string(body, path, tag);
            Tensor t = tensors.get(name);
            if (t == null) {
              throw bad(path, "refers to tensor '" + name + "', which the file does not hold");
            }
            used.add(name);
            return t;
          }
          case "str":
            return string(body, path, tag);
          case "bool":
            if (!(body instanceof Boolean b)) {
              throw bad(path, "'bool' holds " + Json.typeName(body));
            }
            return b;
          case "int":
            return Integer.parseInt(string(body, path, tag));
          case "long":
            return Long.parseLong(string(body, path, tag));
          case "float":
            return Float.parseFloat(string(body, path, tag));
          case "double":
            return Double.parseDouble(string(body, path, tag));
          case "int[]":
          case "long[]":
          case "float[]":
          case "double[]":
          case "boolean[]":
            return array(tag, list(body, path, tag), path);
          case "list": {
            List<?> items = list(body, path, tag);
            ArrayList<Object> out = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
              out.add(decode(items.get(i), path + "[" + i + "]"));
            }
            return out;
          }
          case "map": {
            LinkedHashMap<Object, Object> out = new LinkedHashMap<>();
            for (Object pair : list(body, path, tag)) {
              if (!(pair instanceof List<?> kv) || kv.size() != 2) {
                throw bad(path, "a map entry is not a [key, value] pair");
              }
              Object key = decode(kv.get(0), path + "[key]");
              if (!(key instanceof String || key instanceof Integer || key instanceof Long)) {
                throw bad(path, "a map key decodes to " + (key == null ? "null" : key.getClass().getSimpleName()));
              }
              if (out.containsKey(key)) {
                throw bad(path, "the map key " + key + " appears twice");
              }
              out.put(key, decode(kv.get(1), path + "[" + key + "]"));
            }
            return out;
          }
          default:
            throw bad(path, "unknown type tag '" + tag + "'");
        }
      } catch (NumberFormatException ex) {
        throw bad(path, "'" + tag + "' holds a malformed number: " + ex.getMessage());
      }
    }

    private Object array(String tag, List<?> items, String path) throws SerializationException {
      int n = items.size();
      Object out = switch (tag) {
        case "int[]" -> new int[n];
        case "long[]" -> new long[n];
        case "float[]" -> new float[n];
        case "double[]" -> new double[n];
        default -> new boolean[n];
      };
      for (int i = 0; i < n; i++) {
        String s = string(items.get(i), path + "[" + i + "]", tag);
        switch (tag) {
          case "int[]" -> ((int[]) out)[i] = Integer.parseInt(s);
          case "long[]" -> ((long[]) out)[i] = Long.parseLong(s);
          case "float[]" -> ((float[]) out)[i] = Float.parseFloat(s);
          case "double[]" -> ((double[]) out)[i] = Double.parseDouble(s);
          default -> {
            if (!s.equals("true") && !s.equals("false")) {
              throw bad(path, "'boolean[]' holds '" + s + "'");
            }
            ((boolean[]) out)[i] = s.equals("true");
          }
        }
      }
      return out;
    }

    private String string(Object body, String path, String tag) throws SerializationException {
      if (!(body instanceof String s)) {
        throw bad(path, "'" + tag + "' holds " + Json.typeName(body) + " where a string was expected");
      }
      return s;
    }

    private List<?> list(Object body, String path, String tag) throws SerializationException {
      if (!(body instanceof List<?> l)) {
        throw bad(path, "'" + tag + "' holds " + Json.typeName(body) + " where an array was expected");
      }
      return l;
    }

    private SerializationException bad(String path, String problem) {
      return new SerializationException(source, (path.isEmpty() ? "the object" : "the value at " + path) + ": "
          + problem);
    }
  }
}
