package dev.ember.io;

import dev.ember.DType;
import dev.ember.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format,
 * so state dicts move between Ember and PyTorch ({@code safetensors.torch.save_file} / {@code
 * load_file}).
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code N}; {@code N} bytes of UTF-8 JSON
 * {@code {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets":
 * [begin, end]}, ...}}, padded with spaces so the data starts 8-byte aligned; then the raw
 * little-endian element bytes, row-major, with offsets relative to the start of the data section.
 * Ember reads and writes the dtypes {@code F32}, {@code F64}, {@code I64}, {@code I32} and {@code
 * BOOL}.
 *
 * <pre>{@code
 * Safetensors.save(model.stateDict(), Path.of("model.safetensors"));
 * LinkedHashMap<String, Tensor> sd = Safetensors.load(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p><b>Saving</b> is atomic: the bytes go to a hidden temporary file {@code .<name>.<digits>.tmp}
 * in the target's directory, are forced to disk, and the file is renamed over the target, so a
 * crash mid-save leaves the previous file whole. The new file keeps the permissions of the file it
 * replaces (a new file gets the umask's default, as {@link Files#newOutputStream} would), and a
 * save deletes the stale temporary files a killed save of the same target left (unlocked and
 * older than a few seconds; never a concurrent writer's). Tensors on any device are streamed out
 * through a bounded buffer; autograd history is not saved.
 *
 * <p><b>Loading</b> trusts nothing: the header must be at most {@value #MAX_HEADER_BYTES} bytes
 * and fit in the file, be strict JSON (parsed by {@link Json}; nothing in a file can run code)
 * with no duplicate keys, name only known dtypes and non-negative shapes whose byte size equals
 * {@code end - begin}, and the tensors' byte ranges must tile the data section exactly: no
 * overlaps, no holes, no trailing bytes (the reference implementation's rules). Any violation is a
 * {@link SafetensorsException} naming the file and the problem. Loaded tensors are CPU tensors in
 * header order, copied straight from the memory-mapped file (1 GiB at a time, unmapped at once)
 * into their storage: the heap never holds a whole tensor, so a 2 GB file loads with {@code
 * -Xmx512m}.
 *
 * @since 0.1
 */
public final class Safetensors {
  /** The largest header accepted, in bytes (100 MB, as the reference implementation). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final String METADATA_KEY = "__metadata__";
  private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");
  private static final Set<String> FOREIGN_DTYPES = Set.of("I8", "U8", "I16", "U16",
      "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

  private Safetensors() {}

  /** What a safetensors file holds: its tensors in header order and its string metadata. */
  public record Contents(LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata) {}

  /** One tensor's header entry, validated. */
  private record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

  // ------------------------------------------------------------------------------------ saving

  /**
   * Saves tensors to {@code file} atomically, without metadata.
   *
   * @throws IllegalArgumentException if a name is empty or {@code "__metadata__"}
   * @throws IOException if the file cannot be written; the previous file, if any, is left whole
   */
  public static void save(Map<String, Tensor> tensors, Path file) throws IOException {
    save(tensors, file, Map.of());
  }

  /**
   * Saves tensors and string metadata (the header's {@code "__metadata__"}) to {@code file}
   * atomically. The header lists tensors in the map's order; the data section orders them by
   * element size, largest first, so every tensor's bytes are aligned to its element size.
   *
   * @throws IllegalArgumentException if a name is empty or {@code "__metadata__"}, or a name or
   *     metadata string is not valid Unicode
   * @throws IOException if the file cannot be written; the previous file, if any, is left whole
   */
  public static void save(Map<String, Tensor> tensors, Path file, Map<String, String> metadata)
      throws IOException {
    byte[] header = header(tensors, metadata);
    List<Map.Entry<String, Tensor>> dataOrder = dataOrder(tensors);
    AtomicFiles.write(file, ch -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
      writeFully(ch, len.flip());
      writeFully(ch, ByteBuffer.wrap(header));
      ByteBuffer chunk = TensorStreams.buffer();
      for (Map.Entry<String, Tensor> e : dataOrder) {
        TensorStreams.write(ch, e.getValue(), chunk);
      }
    });
  }

  private static List<Map.Entry<String, Tensor>> dataOrder(Map<String, Tensor> tensors) {
    List<Map.Entry<String, Tensor>> order = new ArrayList<>(tensors.entrySet());
    // Stable: same-size dtypes keep the map's order.
    order.sort(Comparator.comparingInt(e -> -e.getValue().dtype().byteSize()));
    return order;
  }

  private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
    Map<String, long[]> offsets = new LinkedHashMap<>();
    long at = 0;
    for (Map.Entry<String, Tensor> e : dataOrder(tensors)) {
      long bytes = e.getValue().numel() * e.getValue().dtype().byteSize();
      offsets.put(e.getKey(), new long[] {at, at + bytes});
      at += bytes;
    }
    LinkedHashMap<String, Object> json = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      LinkedHashMap<String, Object> meta = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException("safetensors: null metadata key or value for key '"
              + e.getKey() + "'");
        }
        meta.put(e.getKey(), e.getValue());
      }
      json.put(METADATA_KEY, meta);
    }
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
        throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
      }
      Tensor t = e.getValue();
      LinkedHashMap<String, Object> info = new LinkedHashMap<>();
      info.put("dtype", code(t.dtype()));
      List<Object> shape = new ArrayList<>();
      for (int d : t.shapeArray()) {
        shape.add((long) d);
      }
      info.put("shape", shape);
      long[] off = offsets.get(name);
      info.put("data_offsets", List.of(off[0], off[1]));
      json.put(name, info);
    }
    byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
    int padded = (text.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(text, padded);
    Arrays.fill(out, text.length, padded, (byte) ' ');
    return out;
  }

  /** Returns the safetensors dtype code of {@code t}: {@code "F32"}, {@code "I64"}, .... */
  public static String code(DType t) {
    return switch (t) {
      case FLOAT32 -> "F32";
      case FLOAT64 -> "F64";
      case INT64 -> "I64";
      case INT32 -> "I32";
      case BOOL -> "BOOL";
      case FLOAT16 -> "F16";
      case BFLOAT16 -> "BF16";
      case COMPLEX64, COMPLEX128 -> throw new IllegalArgumentException("safetensors: " + t + " tensors can't be"
          + " stored; store Tensor.viewAsReal(t) instead");
    };
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  // ------------------------------------------------------------------------------------ loading

  /**
   * Loads every tensor of a safetensors file, as CPU tensors in header order.
   *
   * @throws SafetensorsException naming the file and the problem if the file is not valid
   *     safetensors or holds a dtype Ember does not support
   * @throws IOException if the file cannot be read
   */
  public static LinkedHashMap<String, Tensor> load(Path file) throws IOException {
    return read(file).tensors();
  }

  /**
   * Returns the header's {@code "__metadata__"} map (empty if absent), reading and validating only
   * the header.
   *
   * @throws SafetensorsException if the header is invalid
   * @throws IOException if the file cannot be read
   */
  public static Map<String, String> loadMetadata(Path file) throws IOException {
    try (FileChannel ch = openForRead(file)) {
      return parseHeader(file, ch).metadata;
    }
  }

  /**
   * Loads the tensors and the metadata of a safetensors file.
   *
   * @throws SafetensorsException naming the file and the problem if the file is not valid
   * @throws IOException if the file cannot be read
   */
  public static Contents read(Path file) throws IOException {
    try (FileChannel ch = openForRead(file)) {
      Header h = parseHeader(file, ch);
      LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
      for (Entry e : h.entries) {
        out.put(e.name, readTensor(file, ch, h.dataStart, e));
      }
      return new Contents(out, h.metadata);
    }
  }

  /** Opens {@code file} to read; a directory is an error that names the path. */
  private static FileChannel openForRead(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new FileSystemException(file.toString(), null, "cannot load: it is a directory");
    }
    return FileChannel.open(file, StandardOpenOption.READ);
  }

  private static final class Header {
    final List<Entry> entries;
    final Map<String, String> metadata;
    final long dataStart;

    Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {
      this.entries = entries;
      this.metadata = metadata;
      this.dataStart = dataStart;
    }
  }

  private static Header parseHeader(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new SafetensorsException(file, "file is " + size
          + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0);
    long n = lenBuf.getLong(0);
    if (n < 0 || n > MAX_HEADER_BYTES) {
      throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n)
          + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (n > size - 8) {
      throw new SafetensorsException(file, "header length " + n + " exceeds the " + (size - 8)
          + " bytes after the length field (file truncated?)");
    }
    if (n < 2) {
      throw new SafetensorsException(file, "header length " + n + " is too small for a JSON object");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(file, ch, hb, 8);
    hb.flip();
    if (hb.get(0) != '{') {
      throw new SafetensorsException(file, "header does not start with '{'");
    }
    String text;
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(hb);
      text = chars.toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsException(file, "header is not valid UTF-8", e);
    }
    LinkedHashMap<String, Object> json;
    try {
      json = Json.parseObject(text);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(file, "invalid JSON header: " + e.getMessage(), e);
    }
    long dataStart = 8 + n;
    long dataSize = size - dataStart;
    Map<String, String> metadata = Map.of();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, Object> kv : json.entrySet()) {
      if (kv.getKey().equals(METADATA_KEY)) {
        metadata = metadata(file, kv.getValue());
      } else {
        entries.add(entry(file, kv.getKey(), kv.getValue()));
      }
    }
    checkTiling(file, entries, dataSize);
    return new Header(entries, metadata, dataStart);
  }

  private static Map<String, String> metadata(Path file, Object value) throws SafetensorsException {
    if (!(value instanceof Map<?, ?> m)) {
      throw new SafetensorsException(file, "\"__metadata__\" must be an object of strings, got "
          + Json.typeName(value));
    }
    LinkedHashMap<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafetensorsException(file, "\"__metadata__\" value for '" + e.getKey()
            + "' must be a string, got " + Json.typeName(e.getValue()));
      }
      out.put((String) e.getKey(), s);
    }
    return Collections.unmodifiableMap(out);
  }

  private static Entry entry(Path file, String name, Object value) throws SafetensorsException {
    String where = "tensor '" + name + "'";
    if (!(value instanceof Map<?, ?> info)) {
      throw new SafetensorsException(file, where + ": expected an object, got " + Json.typeName(value));
    }
    for (Object k : info.keySet()) {
      if (!TENSOR_FIELDS.contains(k)) {
        throw new SafetensorsException(file, where + ": unknown field '" + k + "'");
      }
    }
    Object dt = info.get("dtype");
    if (!(dt instanceof String code)) {
      throw new SafetensorsException(file, where + ": \"dtype\" must be a string, got "
          + Json.typeName(dt));
    }
    DType dtype = switch (code) {
      case "F32" -> DType.FLOAT32;
      case "F64" -> DType.FLOAT64;
      case "I64" -> DType.INT64;
      case "I32" -> DType.INT32;
      case "BOOL" -> DType.BOOL;
      case "F16" -> DType.FLOAT16;
      case "BF16" -> DType.BFLOAT16;
      default -> throw new SafetensorsException(file, where + ": "
          + (FOREIGN_DTYPES.contains(code) ? "dtype " + code + " is not supported by Ember"
              : "unknown dtype '" + code + "'") + " (supported: F32, F64, F16, BF16, I64, I32, BOOL)");
    };
    Object sh = info.get("shape");
    if (!(sh instanceof List<?> dims)) {
      throw new SafetensorsException(file, where + ": \"shape\" must be an array, got "
          + Json.typeName(sh));
    }
    int[] shape = new int[dims.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      Object d = dims.get(i);
      if (!(d instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
        throw new SafetensorsException(file, where + ": shape " + dims
            + " must hold integers in [0, " + Integer.MAX_VALUE + "]");
      }
      shape[i] = (int) (long) l;
      numel = saturatingMultiply(numel, l);
    }
    Object off = info.get("data_offsets");
    if (!(off instanceof List<?> offs) || offs.size() != 2 || !(offs.get(0) instanceof Long b)
        || !(offs.get(1) instanceof Long e) || b < 0 || e < b) {
      throw new SafetensorsException(file, where + ": \"data_offsets\" must be [begin, end] with 0 <= "
          + "begin <= end, got " + (off == null ? "nothing" : Json.write(off)));
    }
    long bytes = saturatingMultiply(numel, dtype.byteSize());
    if (bytes != e - b) {
      throw new SafetensorsException(file, where + ": shape " + Arrays.toString(shape) + " of " + code
          + " needs " + (bytes == Long.MAX_VALUE ? "too many" : Long.toString(bytes))
          + " bytes but data_offsets [" + b + ", " + e + "] give " + (e - b));
    }
    return new Entry(name, dtype, shape, b, e);
  }

  private static long saturatingMultiply(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  private static void checkTiling(Path file, List<Entry> entries, long dataSize)
      throws SafetensorsException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long at = 0;
    for (Entry e : sorted) {
      if (e.begin != at) {
        throw new SafetensorsException(file, "tensor '" + e.name + "' data_offsets [" + e.begin + ", "
            + e.end + "] " + (e.begin < at ? "overlap the previous tensor" : "leave a hole")
            + " (expected begin " + at + ")");
      }
      at = e.end;
    }
    if (at != dataSize) {
      throw new SafetensorsException(file, "tensors cover " + at + " data bytes but the data section "
          + "has " + dataSize + (at > dataSize ? " (file truncated?)" : " (trailing bytes)"));
    }
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer dst, long position)
      throws IOException {
    long p = position;
    while (dst.hasRemaining()) {
      int r = ch.read(dst, p);
      if (r < 0) {
        throw new SafetensorsException(file, "unexpected end of file at byte " + p,
            new EOFException());
      }
      p += r;
    }
  }

  private static Tensor readTensor(Path file, FileChannel ch, long dataStart, Entry e)
      throws IOException {
    try {
      return TensorStreams.read(file, ch, dataStart + e.begin, e.dtype, e.shape,
          e.dtype != DType.BOOL ? (b, first) -> { } : (b, first) -> {
            for (int i = b.position(); i < b.limit(); i++) {
              byte x = b.get(i);
              if (x != 0 && x != 1) {
                throw new SafetensorsException(file, "tensor '" + e.name + "': BOOL element "
                    + (first + i - b.position()) + " is byte " + (x & 0xff) + ", not 0 or 1");
              }
            }
          });
    } catch (IllegalArgumentException tooLarge) {
      // The backend cannot hold it (the CPU backend's per-tensor limit): say which tensor of which file.
      throw new SafetensorsException(file, "tensor '" + e.name + "' " + Arrays.toString(e.shape) + " "
          + code(e.dtype) + " cannot be loaded: " + tooLarge.getMessage(), tooLarge);
    }
  }
}
