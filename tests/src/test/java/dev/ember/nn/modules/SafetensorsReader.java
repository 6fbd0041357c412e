package dev.ember.nn.modules;

import dev.ember.Tensor;
import dev.ember.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a {@code .safetensors} test resource (F32, F64, I64) into tensors, in file order. */
final class SafetensorsReader {
  private SafetensorsReader() {}

  @SuppressWarnings("unchecked")
  static LinkedHashMap<String, Tensor> read(String resource) {
    byte[] bytes;
    try (InputStream in = SafetensorsReader.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no resource " + resource);
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = (int) buf.getLong(0);
    Map<String, Object> header = Json.parseObject(new String(bytes, 8, headerLen, StandardCharsets.UTF_8));
    int base = 8 + headerLen;
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      Map<String, Object> spec = (Map<String, Object>) e.getValue();
      int[] shape = Json.toIntArray(spec.get("shape"));
      long[] offs = Json.toLongArray(spec.get("data_offsets"));
      int begin = base + Math.toIntExact(offs[0]);
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      String dtype = (String) spec.get("dtype");
      Tensor t;
      switch (dtype) {
        case "F32" -> {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = buf.getFloat(begin + 4 * i);
          }
          t = Tensor.of(v, shape);
        }
        case "F64" -> {
          double[] v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = buf.getDouble(begin + 8 * i);
          }
          t = Tensor.of(v, shape);
        }
        case "I64" -> {
          long[] v = new long[n];
          for (int i = 0; i < n; i++) {
            v[i] = buf.getLong(begin + 8 * i);
          }
          t = Tensor.of(v, shape);
        }
        default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
      }
      out.put(e.getKey(), t);
    }
    return out;
  }
}
