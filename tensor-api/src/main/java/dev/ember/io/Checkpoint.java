package dev.ember.io;

import dev.ember.Generator;
import dev.ember.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training checkpoint: several named sections (model, optimizer, scheduler, ...), each holding
 * tensors and string scalars, plus top-level scalars (epoch, step) and generator states, saved
 * atomically as ONE safetensors file that PyTorch's {@code safetensors.torch.load_file} can read.
 *
 * <pre>{@code
 * Checkpoint.create()
 *     .putTensors("model", model.stateDict())
 *     .putTensors("optim", optimizerTensors).putScalars("optim", Map.of("lr", "0.1"))
 *     .putScalars("sched", Map.of("last_epoch", "4"))
 *     .put("epoch", 5)
 *     .putGenerator("global", Generator.global())
 *     .save(Path.of("ckpt.safetensors"));
 *
 * Checkpoint c = Checkpoint.load(Path.of("ckpt.safetensors"));
 * model.loadStateDict(c.tensors("model"));
 * long epoch = c.getLong("epoch");
 * c.restoreGenerator("global", Generator.global());
 * }</pre>
 *
 * <p>File layout: section tensors are stored under {@code "<section>.<name>"} (so {@code
 * "model.fc1.weight"}); section scalars under the same key in {@code __metadata__}; top-level
 * scalars under their bare name; generator states as the scalars {@code "<name>.seed"} and {@code
 * "<name>.offset"} of section {@code "generator"}. {@code "ember.checkpoint"} holds the format
 * version and {@code "ember.sections"} a JSON array of section names, which is what lets a loader
 * split keys back into sections. Section names are non-empty, contain no {@code '.'} and are not
 * {@code "ember"}; top-level scalar names contain no {@code '.'}. Numbers are stored as the strings
 * {@link Long#toString(long)} and {@link Double#toString(double)} write, which read back exactly.
 *
 * <p>It depends on no optimizer or module class: callers convert their state to plain maps.
 *
 * @since 0.1
 */
public final class Checkpoint {
  /** The format version this class writes, stored as {@code "ember.checkpoint"}. */
  public static final int FORMAT_VERSION = 1;

  /** The section generator states are stored in by {@link #putGenerator}. */
  public static final String GENERATOR_SECTION = "generator";

  private static final String VERSION_KEY = "ember.checkpoint";
  private static final String SECTIONS_KEY = "ember.sections";
  private static final String RESERVED = "ember";

  private final LinkedHashMap<String, LinkedHashMap<String, Tensor>> tensors = new LinkedHashMap<>();
  private final LinkedHashMap<String, LinkedHashMap<String, String>> scalars = new LinkedHashMap<>();
  private final LinkedHashMap<String, String> topLevel = new LinkedHashMap<>();

  private Checkpoint() {}

  /** Returns an empty checkpoint to fill with the {@code put} methods. */
  public static Checkpoint create() {
    return new Checkpoint();
  }

  // ------------------------------------------------------------------------------------ building

  /**
   * Adds tensors to {@code section} (e.g. {@code "model"}), replacing same-named ones; returns
   * {@code this}. The map is copied; the tensors are not (they are read at {@link #save}).
   *
   * @throws IllegalArgumentException if the section name is invalid or a tensor name is empty
   */
  public Checkpoint putTensors(String section, Map<String, Tensor> sectionTensors) {
    checkSection(section);
    LinkedHashMap<String, Tensor> m = tensors.computeIfAbsent(section, k -> new LinkedHashMap<>());
    for (Map.Entry<String, Tensor> e : sectionTensors.entrySet()) {
      checkName(e.getKey(), "tensor");
      if (e.getValue() == null) {
        throw new IllegalArgumentException("checkpoint: null tensor '" + e.getKey() + "' in section '"
            + section + "'");
      }
      m.put(e.getKey(), e.getValue());
    }
    return this;
  }

  /**
   * Adds string scalars to {@code section} (e.g. {@code "optim"}: {@code lr}, {@code momentum});
   * returns {@code this}.
   *
   * @throws IllegalArgumentException if the section name is invalid, a name is empty or a value is
   *     null
   */
  public Checkpoint putScalars(String section, Map<String, String> sectionScalars) {
    checkSection(section);
    LinkedHashMap<String, String> m = scalars.computeIfAbsent(section, k -> new LinkedHashMap<>());
    for (Map.Entry<String, String> e : sectionScalars.entrySet()) {
      checkName(e.getKey(), "scalar");
      if (e.getValue() == null) {
        throw new IllegalArgumentException("checkpoint: null value for scalar '" + e.getKey() + "'");
      }
      m.put(e.getKey(), e.getValue());
    }
    return this;
  }

  /**
   * Sets a top-level string scalar such as a run name; returns {@code this}.
   *
   * @throws IllegalArgumentException if the name is empty or contains {@code '.'}
   */
  public Checkpoint put(String name, String value) {
    checkName(name, "scalar");
    if (name.contains(".")) {
      throw new IllegalArgumentException("checkpoint: top-level scalar name '" + name
          + "' must not contain '.'");
    }
    if (value == null) {
      throw new IllegalArgumentException("checkpoint: null value for scalar '" + name + "'");
    }
    topLevel.put(name, value);
    return this;
  }

  /** Sets a top-level integer scalar such as {@code "epoch"} or {@code "step"}; returns {@code this}. */
  public Checkpoint put(String name, long value) {
    return put(name, Long.toString(value));
  }

  /** Sets a top-level floating scalar, stored so that it reads back exactly; returns {@code this}. */
  public Checkpoint put(String name, double value) {
    return put(name, Double.toString(value));
  }

  /** Sets a top-level boolean scalar; returns {@code this}. */
  public Checkpoint put(String name, boolean value) {
    return put(name, Boolean.toString(value));
  }

  /**
   * Stores a generator's state (seed and offset) under {@code name} in section {@value
   * #GENERATOR_SECTION}; returns {@code this}.
   */
  public Checkpoint putGenerator(String name, Generator generator) {
    long seed;
    long offset;
    synchronized (generator) {
      seed = generator.seed();
      offset = generator.offset();
    }
    return putScalars(GENERATOR_SECTION, Map.of(name + ".seed", Long.toString(seed),
        name + ".offset", Long.toString(offset)));
  }

  // ------------------------------------------------------------------------------------ reading

  /** Returns the names of the sections, in the order they were first added or stored. */
  public List<String> sections() {
    List<String> out = new ArrayList<>(tensors.keySet());
    for (String s : scalars.keySet()) {
      if (!out.contains(s)) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** Returns the tensors of {@code section}, in order; empty if it has none. Unmodifiable. */
  public Map<String, Tensor> tensors(String section) {
    Map<String, Tensor> m = tensors.get(section);
    return m == null ? Map.of() : Collections.unmodifiableMap(m);
  }

  /** Returns the string scalars of {@code section}, in order; empty if it has none. Unmodifiable. */
  public Map<String, String> scalars(String section) {
    Map<String, String> m = scalars.get(section);
    return m == null ? Map.of() : Collections.unmodifiableMap(m);
  }

  /** Returns the top-level scalars, in order. Unmodifiable. */
  public Map<String, String> scalars() {
    return Collections.unmodifiableMap(topLevel);
  }

  /** Returns whether a top-level scalar named {@code name} exists. */
  public boolean has(String name) {
    return topLevel.containsKey(name);
  }

  /**
   * Returns the top-level scalar {@code name}.
   *
   * @throws IllegalArgumentException if there is none
   */
  public String get(String name) {
    String v = topLevel.get(name);
    if (v == null) {
      throw new IllegalArgumentException("checkpoint: no scalar '" + name + "' (have " + topLevel.keySet()
          + ")");
    }
    return v;
  }

  /**
   * Returns the top-level scalar {@code name} as a long.
   *
   * @throws IllegalArgumentException if there is none or it is not an integer
   */
  public long getLong(String name) {
    String v = get(name);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("checkpoint: scalar '" + name + "' is not an integer: '" + v
          + "'");
    }
  }

  /**
   * Returns the top-level scalar {@code name} as a double.
   *
   * @throws IllegalArgumentException if there is none or it is not a number
   */
  public double getDouble(String name) {
    String v = get(name);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("checkpoint: scalar '" + name + "' is not a number: '" + v
          + "'");
    }
  }

  /**
   * Returns the top-level scalar {@code name} as a boolean.
   *
   * @throws IllegalArgumentException if there is none or it is neither {@code true} nor {@code
   *     false}
   */
  public boolean getBoolean(String name) {
    String v = get(name);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("checkpoint: scalar '" + name + "' is not a boolean: '" + v
          + "'");
    }
    return v.equals("true");
  }

  /**
   * Restores a generator state stored with {@link #putGenerator} into {@code generator}.
   *
   * @throws IllegalArgumentException if no state named {@code name} was stored
   */
  public void restoreGenerator(String name, Generator generator) {
    Map<String, String> g = scalars(GENERATOR_SECTION);
    String seed = g.get(name + ".seed");
    String offset = g.get(name + ".offset");
    if (seed == null || offset == null) {
      throw new IllegalArgumentException("checkpoint: no generator state '" + name + "'");
    }
    try {
      generator.setState(Long.parseLong(seed), Long.parseLong(offset));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("checkpoint: generator state '" + name + "' is not two integers: "
          + seed + ", " + offset);
    }
  }

  // ------------------------------------------------------------------------------------ files

  /**
   * Saves this checkpoint to {@code file} atomically (see {@link Safetensors#save(Map, Path, Map)}):
   * a crash mid-save leaves the previous checkpoint whole.
   *
   * @throws IOException if the file cannot be written
   */
  public void save(Path file) throws IOException {
    LinkedHashMap<String, Tensor> flat = new LinkedHashMap<>();
    LinkedHashMap<String, String> meta = new LinkedHashMap<>();
    meta.put(VERSION_KEY, Integer.toString(FORMAT_VERSION));
    meta.put(SECTIONS_KEY, Json.write(sections()));
    for (Map.Entry<String, LinkedHashMap<String, Tensor>> s : tensors.entrySet()) {
      for (Map.Entry<String, Tensor> e : s.getValue().entrySet()) {
        flat.put(s.getKey() + "." + e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, LinkedHashMap<String, String>> s : scalars.entrySet()) {
      for (Map.Entry<String, String> e : s.getValue().entrySet()) {
        meta.put(s.getKey() + "." + e.getKey(), e.getValue());
      }
    }
    meta.putAll(topLevel);
    Safetensors.save(flat, file, meta);
  }

  /**
   * Loads a checkpoint written by {@link #save}; tensors come back as CPU tensors.
   *
   * @throws SafetensorsException if the file is not valid safetensors or not an Ember checkpoint
   *     (missing or unknown format version, keys outside the listed sections)
   * @throws IOException if the file cannot be read
   */
  public static Checkpoint load(Path file) throws IOException {
    Safetensors.Contents contents = Safetensors.read(file);
    Map<String, String> meta = contents.metadata();
    String version = meta.get(VERSION_KEY);
    if (version == null) {
      throw new SafetensorsException(file, "not an Ember checkpoint (no \"" + VERSION_KEY
          + "\" in __metadata__)");
    }
    if (!version.equals(Integer.toString(FORMAT_VERSION))) {
      throw new SafetensorsException(file, "checkpoint format version " + version
          + " is not supported (this reader knows " + FORMAT_VERSION + ")");
    }
    Set<String> sections = parseSections(file, meta.get(SECTIONS_KEY));
    Checkpoint c = new Checkpoint();
    for (String s : sections) {
      // Keep the saved section order even for sections with only scalars or only tensors.
      c.tensors.put(s, new LinkedHashMap<>());
      c.scalars.put(s, new LinkedHashMap<>());
    }
    for (Map.Entry<String, Tensor> e : contents.tensors().entrySet()) {
      String[] split = split(file, e.getKey(), sections, "tensor");
      c.tensors.get(split[0]).put(split[1], e.getValue());
    }
    for (Map.Entry<String, String> e : meta.entrySet()) {
      String key = e.getKey();
      if (key.equals(VERSION_KEY) || key.equals(SECTIONS_KEY)) {
        continue;
      }
      if (!key.contains(".")) {
        c.topLevel.put(key, e.getValue());
      } else {
        String[] split = split(file, key, sections, "scalar");
        c.scalars.get(split[0]).put(split[1], e.getValue());
      }
    }
    c.tensors.values().removeIf(Map::isEmpty);
    c.scalars.values().removeIf(Map::isEmpty);
    return c;
  }

  private static Set<String> parseSections(Path file, String text) throws SafetensorsException {
    if (text == null) {
      throw new SafetensorsException(file, "checkpoint has no \"" + SECTIONS_KEY + "\" in __metadata__");
    }
    Object v;
    try {
      v = Json.parse(text);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(file, "checkpoint \"" + SECTIONS_KEY + "\" is not JSON: "
          + e.getMessage(), e);
    }
    if (!(v instanceof List<?> list)) {
      throw new SafetensorsException(file, "checkpoint \"" + SECTIONS_KEY + "\" is not a JSON array");
    }
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Object o : list) {
      if (!(o instanceof String s) || s.isEmpty() || s.contains(".") || s.equals(RESERVED)
          || !out.add(s)) {
        throw new SafetensorsException(file, "checkpoint \"" + SECTIONS_KEY + "\" has an invalid or "
            + "repeated section name: " + Json.write(o));
      }
    }
    return out;
  }

  private static String[] split(Path file, String key, Set<String> sections, String what)
      throws SafetensorsException {
    int dot = key.indexOf('.');
    if (dot <= 0 || dot == key.length() - 1 || !sections.contains(key.substring(0, dot))) {
      throw new SafetensorsException(file, "checkpoint " + what + " '" + key
          + "' is not under a listed section " + sections);
    }
    return new String[] {key.substring(0, dot), key.substring(dot + 1)};
  }

  private static void checkSection(String section) {
    if (section == null || section.isEmpty() || section.contains(".") || section.equals(RESERVED)) {
      throw new IllegalArgumentException("checkpoint: invalid section name '" + section
          + "' (non-empty, no '.', not \"" + RESERVED + "\")");
    }
  }

  private static void checkName(String name, String what) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("checkpoint: empty " + what + " name");
    }
  }
}
