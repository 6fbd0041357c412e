package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Factories: tensors from Java arrays, constant fills, ranges and random numbers. */
public final class Creation {
  private Creation() {}

  private static ByteBuffer buffer(long numel, DType t) {
    return ByteBuffer.allocate((int) Math.max(numel, 1) * t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void checkLength(int length, int[] shape) {
    if (Shape.numel(shape) != length) {
      throw new IllegalArgumentException("tensor: " + length + " values don't fill shape "
          + java.util.Arrays.toString(shape) + " (" + Shape.numel(shape) + " elements)");
    }
  }

  private static Tensor upload(ByteBuffer bytes, DType t, int[] shape) {
    Backend cpu = Backends.get(Device.CPU);
    Tensor out = Dispatch.empty(cpu, t, shape);
    bytes.rewind();
    cpu.copyFromHost(bytes, out.strided().storage());
    return out;
  }

  /**
   * Returns a CPU tensor of {@code dtype} and {@code shape} holding a copy of {@code bytes}: row-major
   * elements in little-endian {@code dtype} layout (2-byte bit patterns for float16 and bfloat16),
   * read from the buffer's position (left unchanged); the inverse of {@link Tensor#hostBytes}.
   *
   * @throws IllegalArgumentException if the buffer holds fewer bytes than the shape needs
   */
  public static Tensor fromBytes(ByteBuffer bytes, DType dtype, int... shape) {
    long need = Shape.numel(shape) * dtype.byteSize();
    if (bytes.remaining() < need) {
      throw new IllegalArgumentException("fromBytes: " + bytes.remaining() + " bytes can't fill shape "
          + java.util.Arrays.toString(shape) + " of " + dtype + " (" + need + " bytes)");
    }
    ByteBuffer b = buffer(Shape.numel(shape), dtype);
    b.put(bytes.duplicate().limit(bytes.position() + (int) need));
    return upload(b, dtype, shape);
  }

  /** Returns a float32 tensor of {@code shape} holding a copy of row-major {@code values}. */
  public static Tensor fromArray(float[] values, int[] shape) {
    checkLength(values.length, shape);
    ByteBuffer b = buffer(values.length, DType.FLOAT32);
    b.asFloatBuffer().put(values);
    return upload(b, DType.FLOAT32, shape);
  }

  /** Returns a float64 tensor of {@code shape} holding a copy of row-major {@code values}. */
  public static Tensor fromArray(double[] values, int[] shape) {
    checkLength(values.length, shape);
    ByteBuffer b = buffer(values.length, DType.FLOAT64);
    b.asDoubleBuffer().put(values);
    return upload(b, DType.FLOAT64, shape);
  }

  /** Returns an int64 tensor of {@code shape} holding a copy of row-major {@code values}. */
  public static Tensor fromArray(long[] values, int[] shape) {
    checkLength(values.length, shape);
    ByteBuffer b = buffer(values.length, DType.INT64);
    b.asLongBuffer().put(values);
    return upload(b, DType.INT64, shape);
  }

  /** Returns an int32 tensor of {@code shape} holding a copy of row-major {@code values}. */
  public static Tensor fromArray(int[] values, int[] shape) {
    checkLength(values.length, shape);
    ByteBuffer b = buffer(values.length, DType.INT32);
    b.asIntBuffer().put(values);
    return upload(b, DType.INT32, shape);
  }

  /** Returns a bool tensor of {@code shape} holding a copy of row-major {@code values}. */
  public static Tensor fromArray(boolean[] values, int[] shape) {
    checkLength(values.length, shape);
    ByteBuffer b = buffer(values.length, DType.BOOL);
    for (int i = 0; i < values.length; i++) {
      b.put(i, (byte) (values[i] ? 1 : 0));
    }
    return upload(b, DType.BOOL, shape);
  }

  /**
   * Returns a tensor from a rectangular nested array of float, double, long, int or boolean.
   *
   * @throws IllegalArgumentException if the rows are ragged
   */
  public static Tensor fromNested(Object nested) {
    List<Integer> dims = new ArrayList<>();
    Object level = nested;
    Class<?> leaf = nested.getClass();
    while (leaf.isArray() && leaf.getComponentType().isArray()) {
      dims.add(Array.getLength(level));
      level = Array.getLength(level) == 0 ? null : Array.get(level, 0);
      leaf = leaf.getComponentType();
      if (level == null) {
        break;
      }
    }
    dims.add(level == null ? 0 : Array.getLength(level));
    int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
    int n = (int) Shape.numel(shape);
    Class<?> component = leaf.getComponentType();
    Object flat = Array.newInstance(component, n);
    int[] cursor = {0};
    flattenInto(nested, 0, shape, flat, cursor);
    if (component == float.class) {
      return fromArray((float[]) flat, shape);
    } else if (component == double.class) {
      return fromArray((double[]) flat, shape);
    } else if (component == long.class) {
      return fromArray((long[]) flat, shape);
    } else if (component == int.class) {
      return fromArray((int[]) flat, shape);
    } else if (component == boolean.class) {
      return fromArray((boolean[]) flat, shape);
    }
    throw new IllegalArgumentException("tensor: unsupported element type " + component);
  }

  private static void flattenInto(Object level, int depth, int[] shape, Object flat, int[] cursor) {
    int len = Array.getLength(level);
    if (len != shape[depth]) {
      throw new IllegalArgumentException("tensor: ragged nested array: expected " + shape[depth]
          + " entries at depth " + depth + ", found " + len);
    }
    if (depth == shape.length - 1) {
      System.arraycopy(level, 0, flat, cursor[0], len);
      cursor[0] += len;
      return;
    }
    for (int i = 0; i < len; i++) {
      flattenInto(Array.get(level, i), depth + 1, shape, flat, cursor);
    }
  }

  /** Returns a tensor filled with {@code value}. */
  public static Tensor full(Shape shape, double value, DType dtype, Device device) {
    if (dtype.isComplex()) {
      return ComplexOps.full(shape, value, dtype, device);
    }
    Backend b = Backends.get(device);
    Tensor out = Dispatch.empty(b, dtype, shape.dims());
    b.fill(out.strided(), value);
    return out;
  }

  /**
   * Returns a 0-d tensor for a Java scalar used with {@code like}: of {@code like}'s dtype, or
   * float32 when {@code like} is integral (or bool) and {@code value} is not a whole number.
   */
  public static Tensor scalarLike(Tensor like, double value) {
    DType t = like.dtype();
    if (t.isComplex()) {
      return ComplexOps.full(Shape.scalar(), value, t, like.device());
    }
    if (!t.isFloatingPoint() && (value != Math.rint(value) || Double.isInfinite(value))) {
      t = DType.FLOAT32;
    } else if (t == DType.BOOL && value != 0 && value != 1) {
      t = DType.INT64;
    }
    Tensor out = Dispatch.empty(like.backend(), t, new int[0]);
    like.backend().fill(out.strided(), value);
    return out;
  }

  /** Returns {@code start, start+step, ...} strictly before {@code end}. */
  public static Tensor arange(double start, double end, double step, DType dtype) {
    if (step == 0 || Double.isNaN(start + end + step)) {
      throw new IllegalArgumentException("arange: step must be non-zero and bounds finite, got start="
          + start + " end=" + end + " step=" + step);
    }
    double count = Math.max(0, Math.ceil((end - start) / step));
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("arange: " + (long) count + " elements (start=" + start + ", end="
          + end + ", step=" + step + ") exceed the largest 1-d tensor, " + (Integer.MAX_VALUE - 8)
          + " elements");
    }
    int n = (int) count;
    double[] values;
    try {
      values = new double[n];
    } catch (OutOfMemoryError e) {
      throw new IllegalStateException("arange: not enough Java heap to build " + n + " elements (start="
          + start + ", end=" + end + ", step=" + step + ")", e);
    }
    for (int i = 0; i < n; i++) {
      values[i] = start + i * step;
    }
    return Dispatch.cast(fromArray(values, new int[] {n}), dtype);
  }

  /** Returns {@code steps} values evenly spaced from {@code start} to {@code end} inclusive. */
  public static Tensor linspace(double start, double end, int steps, DType dtype) {
    if (steps < 0) {
      throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
    }
    double[] values = new double[steps];
    double delta = steps > 1 ? (end - start) / (steps - 1) : 0;
    for (int i = 0; i < steps; i++) {
      values[i] = i < steps / 2 ? start + i * delta : end - (steps - 1 - i) * delta;
    }
    if (steps == 1) {
      values[0] = start; // PyTorch: one step is the start, not the end
    }
    return Dispatch.cast(fromArray(values, new int[] {steps}), dtype);
  }

  /** Returns an {@code n x m} matrix with ones on the diagonal. */
  public static Tensor eye(int n, int m, DType dtype) {
    double[] values = new double[n * m];
    for (int i = 0; i < Math.min(n, m); i++) {
      values[i * m + i] = 1;
    }
    return Dispatch.cast(fromArray(values, new int[] {n, m}), dtype);
  }

  /**
   * Returns uniform numbers in [0, 1) drawn from {@code g}'s Philox stream ({@code g} null: the
   * global generator; every random op draws through here).
   */
  public static Tensor rand(Shape shape, DType dtype, Device device, Generator g) {
    if (!dtype.isFloatingPoint()) {
      throw new IllegalArgumentException("rand: dtype must be floating, got " + dtype);
    }
    Generator gen = g == null ? Generator.global() : g;
    Backend b = Backends.get(device);
    Tensor out = Dispatch.empty(b, dtype, shape.dims());
    b.uniform(gen.seed(), gen.reserve(shape.numel()), out.strided());
    return out;
  }

  /** Returns standard normal numbers (Box-Muller over two uniform fills). */
  public static Tensor randn(Shape shape, DType dtype, Device device, Generator g) {
    // Each float64 temporary is freed as soon as the next one is made, not left to the GC.
    try (var mode = dev.ember.GradMode.noGrad()) {
      Tensor u1 = rand(shape, DType.FLOAT64, device, g);
      Tensor u2 = rand(shape, DType.FLOAT64, device, g);
      // 1 - u1 lies in (0, 1], so the log is finite.
      Tensor t = consume(u1, u -> u.rsub(1));
      t = consume(t, Tensor::log);
      t = consume(t, u -> u.mul(-2));
      Tensor radius = consume(t, Tensor::sqrt);
      Tensor angle = consume(consume(u2, u -> u.mul(2 * Math.PI)), Tensor::cos);
      Tensor product = radius.mul(angle);
      radius.close();
      angle.close();
      return consume(product, u -> u.to(dtype));
    }
  }

  /** Returns {@code f(temporary)} and frees {@code temporary} (unless {@code f} returned it). */
  private static Tensor consume(Tensor temporary, java.util.function.UnaryOperator<Tensor> f) {
    Tensor out = f.apply(temporary);
    if (out != temporary) {
      temporary.close();
    }
    return out;
  }

  /** Returns int64 integers uniform in [low, high). */
  public static Tensor randint(long low, long high, Shape shape, Device device, Generator g) {
    if (high <= low) {
      throw new IllegalArgumentException("randint: low " + low + " must be below high " + high);
    }
    try (var mode = dev.ember.GradMode.noGrad()) {
      Tensor t = consume(rand(shape, DType.FLOAT64, device, g), u -> u.mul((double) (high - low)));
      t = consume(t, Tensor::floor);
      t = consume(t, u -> u.add((double) low));
      return consume(t, u -> u.to(DType.INT64));
    }
  }
}
