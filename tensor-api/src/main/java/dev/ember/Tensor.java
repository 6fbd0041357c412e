package dev.ember;

import dev.ember.internal.Backends;
import dev.ember.internal.Dispatch;
import dev.ember.internal.Printing;
import dev.ember.ops.Activations;
import dev.ember.ops.Arithmetic;
import dev.ember.ops.Comparison;
import dev.ember.ops.ComplexOps;
import dev.ember.ops.Creation;
import dev.ember.ops.ElementwiseMath;
import dev.ember.ops.Indexing;
import dev.ember.ops.Linalg;
import dev.ember.ops.Losses;
import dev.ember.ops.Reductions;
import dev.ember.ops.Shaping;
import dev.ember.ops.Unary;
import dev.ember.ops.Views;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * An n-dimensional array on a device, with autograd: the Java counterpart of {@code torch.Tensor}.
 *
 * <p>A tensor is a strided view (shape, strides, offset) of a storage owned by a backend. Views
 * ({@link #view}, {@link #permute}, {@link #narrow}, ...) share the storage; writing through a view
 * changes its base. Ops broadcast by PyTorch's rules and promote dtypes as PyTorch does. Every
 * differentiable op records its backward when grad mode is on and an input requires grad.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
 * Tensor y = x.mul(x).sum();           // 14
 * y.backward();
 * x.grad();                            // [2, 4, 6]
 * }</pre>
 *
 * <p>In-place ops end in {@code InPlace} ({@code addInPlace} is PyTorch's {@code add_}); they bump
 * the storage's version counter so a backward that needs the old values fails instead of silently
 * using the new ones.
 */
public final class Tensor implements AutoCloseable {
  /** The storage shared by a tensor and its views, with its version counter (resize_ may grow it). */
  private static final class Data {
    dev.ember.spi.Storage storage;
    final Backend backend;
    int version;
    /** Whether tensors of two dtypes view this storage (viewAsReal / viewAsComplex). */
    boolean reinterpreted;

    Data(dev.ember.spi.Storage storage, Backend backend) {
      this.storage = storage;
      this.backend = backend;
    }
  }

  private final Data data;
  private final DType dtype;
  /** Replaced (never mutated) by resize_ only, as the storage in {@link Data} is. */
  private int[] shape;
  private int[] strides;
  private final long offset;
  private final Tensor base;
  private boolean requiresGrad;
  private Tensor grad;
  /** Whether backward made {@link #grad} and no user code was handed it: replacing it frees it at once. */
  private boolean gradUnseen;
  private Node gradFn;
  private Node accumulator;
  private List<UnaryOperator<Tensor>> leafHooks;
  /** For a view: the tensor it views, never itself a view (null otherwise; detach() makes no view). */
  private Tensor viewBase;
  /** Whether this view, or one it was taken from, was made with grad mode off. */
  private boolean viewMadeWithoutGrad;
  /** The storage version this view's grad_fn was derived at (see {@link ViewHistory}). */
  private int viewVersion;

  static {
    dev.ember.internal.GradAccess.install(t -> t.grad);
  }

  private Tensor(Data data, DType dtype, int[] shape, int[] strides, long offset, Tensor base) {
    this.data = data;
    this.dtype = dtype;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.base = base;
  }

  // ---------------------------------------------------------------- internals for ops and backends

  /**
   * Wraps a strided view of backend storage as a new tensor that owns it. For op implementations
   * and backend authors.
   */
  public static Tensor wrap(Backend backend, Strided s) {
    checkInBounds("wrap", s.shape(), s.strides(), s.offset(), s.storage().numel());
    Tensor t = new Tensor(new Data(s.storage(), backend), s.dtype(), s.shape().clone(), s.strides().clone(),
        s.offset(), null);
    TensorScope.register(t);
    return t;
  }

  /** Returns an object identifying this tensor's storage (shared by all its views; kept when resize_ grows it). */
  Object storageIdentity() {
    return data;
  }

  /**
   * Gives this tensor {@code newShape} with contiguous strides, keeping its offset; a non-null
   * {@code grown} storage replaces the one shared with every view and alias (the old one is closed).
   * For {@link Resizing}.
   */
  void resizeTo(int[] newShape, dev.ember.spi.Storage grown) {
    if (grown != null) {
      dev.ember.spi.Storage old = data.storage;
      data.storage = grown;
      old.close();
    }
    checkInBounds("resize_", newShape, Strided.contiguousStrides(newShape), offset, data.storage.numel());
    shape = newShape.clone();
    strides = Strided.contiguousStrides(newShape);
  }

  /** Frees the storage now, whatever views share it. For {@link TensorScope}. */
  void freeStorage() {
    data.storage.close();
  }

  /**
   * Returns a view of this tensor's storage with another shape, strides and offset; no history is
   * recorded (the caller records it). For op implementations.
   */
  public Tensor asStrided(int[] newShape, int[] newStrides, long newOffset) {
    checkInBounds("as_strided", newShape, newStrides, newOffset, elementsInStorage(dtype));
    Tensor view = new Tensor(data, dtype, newShape, newStrides, newOffset, base == null ? this : base);
    view.viewBase = viewBase != null ? viewBase : this;
    view.viewMadeWithoutGrad = viewMadeWithoutGrad || !GradMode.isEnabled();
    view.viewVersion = data.version;
    return view;
  }

  /**
   * Returns a view of this tensor's storage as elements of another dtype, a complex type and its
   * component type ({@code viewAsReal}, {@code viewAsComplex}): shape, strides and offset count
   * elements of {@code newType}. Not an autograd view (the caller records the op), and in-place ops
   * recorded on any tensor of a storage viewed this way raise. For op implementations.
   */
  public Tensor reinterpretAs(DType newType, int[] newShape, int[] newStrides, long newOffset) {
    if (newType.toReal() != dtype.toReal()) {
      throw new IllegalArgumentException("reinterpretAs: " + dtype + " storage can't be viewed as " + newType);
    }
    checkInBounds("reinterpretAs", newShape, newStrides, newOffset, elementsInStorage(newType));
    data.reinterpreted = true;
    return new Tensor(data, newType, newShape.clone(), newStrides.clone(), newOffset, base == null ? this : base);
  }

  /** Returns whether tensors of two dtypes view this tensor's storage. For in-place checks. */
  boolean sharesStorageAcrossDtypes() {
    return data.reinterpreted;
  }

  /** Returns how many elements of {@code type} the storage holds (a complex element takes two). */
  private long elementsInStorage(DType type) {
    return type.isComplex() ? data.storage.numel() / 2 : data.storage.numel();
  }

  /**
   * Checks that every element of a strided view lies inside its storage: backends read raw memory,
   * so a view past the end must fail here rather than crash the JVM.
   */
  private static void checkInBounds(String op, int[] shape, int[] strides, long offset, long storageNumel) {
    if (shape.length != strides.length) {
      throw new IllegalArgumentException(op + ": shape " + java.util.Arrays.toString(shape) + " and strides "
          + java.util.Arrays.toString(strides) + " differ in length");
    }
    long lo = offset;
    long hi = offset;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(op + ": negative size in " + java.util.Arrays.toString(shape));
      }
      if (shape[i] == 0) {
        return;
      }
      long span = (long) (shape[i] - 1) * strides[i];
      if (span < 0) {
        lo += span;
      } else {
        hi += span;
      }
    }
    if (lo < 0 || hi >= Math.max(storageNumel, 1)) {
      throw new IndexOutOfBoundsException(op + ": view of shape " + java.util.Arrays.toString(shape)
          + ", strides " + java.util.Arrays.toString(strides) + " and offset " + offset
          + " reaches elements [" + lo + ", " + hi + "] outside a storage of " + storageNumel);
    }
  }

  /** Returns the strided view a backend sees. For op implementations and backend authors. */
  public Strided strided() {
    if (dtype.isComplex()) {
      throw ComplexOps.unsupported(dtype);
    }
    if (data.storage.isClosed()) {
      throw new IllegalStateException("tensor: use after close (shape " + shape() + ", " + dtype + ", "
          + device() + ")");
    }
    return new Strided(data.storage, dtype, shape, strides, offset);
  }

  /** Returns the backend that owns this tensor's storage. */
  public Backend backend() {
    return data.backend;
  }

  /** Returns the version counter of the storage, bumped by every in-place write. */
  public int version() {
    return data.version;
  }

  /** Marks the storage as modified in place. For op implementations. */
  public void bumpVersion() {
    data.version++;
  }

  /** Returns the shape as a fresh array. */
  public int[] shapeArray() {
    return shape.clone();
  }

  /** Returns the strides, in elements, as a fresh array. */
  public int[] stridesArray() {
    return strides.clone();
  }

  /** Returns the offset of the first element in the storage, in elements. */
  public long storageOffset() {
    return offset;
  }

  /** Returns the tensor this one is a view of, or null. */
  public Tensor base() {
    return base;
  }

  Node edgeNode() {
    refreshViewHistory();
    if (gradFn != null) {
      return gradFn;
    }
    if (accumulator == null) {
      accumulator = new Node(this);
      if (leafHooks != null) {
        accumulator.hooks = leafHooks;
      }
    }
    return accumulator;
  }

  void setGradFn(Node node) {
    this.gradFn = node;
    this.requiresGrad = true;
  }

  /** Returns the tensor this one is a view of for autograd, or null. For {@link ViewHistory}. */
  Tensor viewBase() {
    return viewBase;
  }

  /** Returns whether this view was made with grad mode off. For {@link ViewHistory}. */
  boolean viewMadeWithoutGrad() {
    return viewMadeWithoutGrad;
  }

  /** Sets a view's grad_fn derived from its base's current history. For {@link ViewHistory}. */
  void setViewHistory(Node node) {
    setGradFn(node);
    viewVersion = data.version;
  }

  /** Derives a view's grad_fn again if its base or another view of it was written since. */
  private void refreshViewHistory() {
    if (viewBase != null && viewVersion != data.version && !viewMadeWithoutGrad) {
      ViewHistory.regenerate(this);
    }
  }

  void accumulateGrad(Tensor g) {
    // A fresh copy: the same gradient tensor may reach several leaves, and optimizers update
    // grads in place.
    try (TensorScope unscoped = TensorScope.unscoped()) {
      Tensor sum = grad == null ? g.clone() : grad.add(g);
      freeUnseenGrad();
      grad = sum;
      gradUnseen = sum.gradFn == null;   // with createGraph the new graph may hold it
    }
  }

  /** Returns whether this gradient may become a leaf's grad as it is; see {@link Autograd}. */
  boolean coversItsStorage() {
    return offset == 0 && numel() == elementsInStorage(dtype) && isContiguous();
  }

  /** Takes {@code g} as this leaf's grad without a copy; the engine checked nothing else holds it. */
  void takeGrad(Tensor g) {
    grad = g.detach();
    gradUnseen = true;
  }

  // ---------------------------------------------------------------- creation

  /** Returns a 1-d float32 tensor holding a copy of {@code values}. */
  public static Tensor of(float[] values) {
    return Creation.fromArray(values, new int[] {values.length});
  }

  /** Returns a float32 tensor of the given shape holding a copy of row-major {@code values}. */
  public static Tensor of(float[] values, int... shape) {
    return Creation.fromArray(values, shape);
  }

  /** Returns a 1-d float64 tensor holding a copy of {@code values}. */
  public static Tensor of(double[] values) {
    return Creation.fromArray(values, new int[] {values.length});
  }

  /** Returns a float64 tensor of the given shape holding a copy of row-major {@code values}. */
  public static Tensor of(double[] values, int... shape) {
    return Creation.fromArray(values, shape);
  }

  /** Returns a 1-d int64 tensor holding a copy of {@code values}. */
  public static Tensor of(long[] values) {
    return Creation.fromArray(values, new int[] {values.length});
  }

  /** Returns an int64 tensor of the given shape holding a copy of row-major {@code values}. */
  public static Tensor of(long[] values, int... shape) {
    return Creation.fromArray(values, shape);
  }

  /** Returns a 1-d int32 tensor holding a copy of {@code values}. */
  public static Tensor of(int[] values) {
    return Creation.fromArray(values, new int[] {values.length});
  }

  /** Returns a 1-d bool tensor holding a copy of {@code values}. */
  public static Tensor of(boolean[] values) {
    return Creation.fromArray(values, new int[] {values.length});
  }

  /** Returns a bool tensor of the given shape holding a copy of row-major {@code values}. */
  public static Tensor of(boolean[] values, int... shape) {
    return Creation.fromArray(values, shape);
  }

  /** Returns a 2-d float32 tensor from a rectangular nested array. */
  public static Tensor of(float[][] values) {
    return Creation.fromNested(values);
  }

  /** Returns a 3-d float32 tensor from a rectangular nested array. */
  public static Tensor of(float[][][] values) {
    return Creation.fromNested(values);
  }

  /** Returns a 2-d float64 tensor from a rectangular nested array. */
  public static Tensor of(double[][] values) {
    return Creation.fromNested(values);
  }

  /** Returns a 3-d float64 tensor from a rectangular nested array. */
  public static Tensor of(double[][][] values) {
    return Creation.fromNested(values);
  }

  /** Returns a 2-d int64 tensor from a rectangular nested array. */
  public static Tensor of(long[][] values) {
    return Creation.fromNested(values);
  }

  /** Returns a 0-d float32 tensor holding {@code value}. */
  public static Tensor scalar(double value) {
    return Creation.full(Shape.scalar(), value, DType.FLOAT32, Device.CPU);
  }

  /** Returns a 0-d tensor of the given dtype holding {@code value}. */
  public static Tensor scalar(double value, DType dtype) {
    return Creation.full(Shape.scalar(), value, dtype, Device.CPU);
  }

  /** Returns a float32 tensor of zeros on the CPU. */
  public static Tensor zeros(int... shape) {
    return Creation.full(Shape.of(shape), 0, DType.FLOAT32, Device.CPU);
  }

  /** Returns a tensor of zeros. */
  public static Tensor zeros(Shape shape, DType dtype, Device device) {
    return Creation.full(shape, 0, dtype, device);
  }

  /** Returns a float32 tensor of ones on the CPU. */
  public static Tensor ones(int... shape) {
    return Creation.full(Shape.of(shape), 1, DType.FLOAT32, Device.CPU);
  }

  /** Returns a tensor of ones. */
  public static Tensor ones(Shape shape, DType dtype, Device device) {
    return Creation.full(shape, 1, dtype, device);
  }

  /** Returns a float32 CPU tensor with every element {@code value}. */
  public static Tensor full(double value, int... shape) {
    return Creation.full(Shape.of(shape), value, DType.FLOAT32, Device.CPU);
  }

  /** Returns a tensor with every element {@code value}. */
  public static Tensor full(Shape shape, double value, DType dtype, Device device) {
    return Creation.full(shape, value, dtype, device);
  }

  /** Returns an uninitialized float32 CPU tensor. */
  public static Tensor empty(int... shape) {
    return empty(Shape.of(shape), DType.FLOAT32, Device.CPU);
  }

  /** Returns an uninitialized tensor. */
  public static Tensor empty(Shape shape, DType dtype, Device device) {
    return Dispatch.empty(Backends.get(device), dtype, shape.dims());
  }

  /** Returns the int64 values {@code 0, 1, ..., end - 1}. */
  public static Tensor arange(long end) {
    return Creation.arange(0, end, 1, DType.INT64);
  }

  /** Returns {@code start, start + step, ...} below {@code end} (above it for a negative step). */
  public static Tensor arange(double start, double end, double step, DType dtype) {
    return Creation.arange(start, end, step, dtype);
  }

  /** Returns {@code steps} float32 values evenly spaced from {@code start} to {@code end} inclusive. */
  public static Tensor linspace(double start, double end, int steps) {
    return Creation.linspace(start, end, steps, DType.FLOAT32);
  }

  /** Returns the {@code n x n} float32 identity matrix. */
  public static Tensor eye(int n) {
    return Creation.eye(n, n, DType.FLOAT32);
  }

  /** Returns float32 numbers uniform in [0, 1) from the default generator. */
  public static Tensor rand(int... shape) {
    return Creation.rand(Shape.of(shape), DType.FLOAT32, Device.CPU, Generator.global());
  }

  /** Returns numbers uniform in [0, 1) from {@code generator} (null: the default one). */
  public static Tensor rand(Shape shape, DType dtype, Device device, Generator generator) {
    return Creation.rand(shape, dtype, device, generator);
  }

  /** Returns float32 standard normal numbers from the default generator. */
  public static Tensor randn(int... shape) {
    return Creation.randn(Shape.of(shape), DType.FLOAT32, Device.CPU, Generator.global());
  }

  /** Returns standard normal numbers from {@code generator} (null: the default one). */
  public static Tensor randn(Shape shape, DType dtype, Device device, Generator generator) {
    return Creation.randn(shape, dtype, device, generator);
  }

  /** Returns int64 integers uniform in [low, high) from the default generator. */
  public static Tensor randint(long low, long high, int... shape) {
    return Creation.randint(low, high, Shape.of(shape), Device.CPU, Generator.global());
  }

  /** Returns int64 integers uniform in [low, high) from {@code generator} (null: the default one). */
  public static Tensor randint(long low, long high, Shape shape, Device device, Generator generator) {
    return Creation.randint(low, high, shape, device, generator);
  }

  /** Returns zeros with this tensor's shape, dtype and device. */
  public static Tensor zerosLike(Tensor t) {
    return Creation.full(t.shape(), 0, t.dtype, t.device());
  }

  /** Returns ones with this tensor's shape, dtype and device. */
  public static Tensor onesLike(Tensor t) {
    return Creation.full(t.shape(), 1, t.dtype, t.device());
  }

  /** Returns {@code value} everywhere, with this tensor's shape, dtype and device. */
  public static Tensor fullLike(Tensor t, double value) {
    return Creation.full(t.shape(), value, t.dtype, t.device());
  }

  /** Returns an uninitialized tensor with this tensor's shape, dtype and device. */
  public static Tensor emptyLike(Tensor t) {
    return Dispatch.empty(t.backend(), t.dtype, t.shape);
  }

  /** Returns uniform [0, 1) numbers with this tensor's shape, dtype and device. */
  public static Tensor randLike(Tensor t) {
    return Creation.rand(t.shape(), t.dtype, t.device(), Generator.global());
  }

  /** Returns standard normal numbers with this tensor's shape, dtype and device. */
  public static Tensor randnLike(Tensor t) {
    return Creation.randn(t.shape(), t.dtype, t.device(), Generator.global());
  }

  /** Returns int64 integers uniform in [low, high) with this tensor's shape and device. */
  public static Tensor randintLike(Tensor t, long low, long high) {
    return Creation.randint(low, high, t.shape(), t.device(), Generator.global());
  }

  /** Sets the seed of the default generator ({@code torch.manual_seed}). */
  public static void manualSeed(long seed) {
    Generator.global().manualSeed(seed);
  }

  // ---------------------------------------------------------------- metadata and read-back

  /** Returns the shape. */
  public Shape shape() {
    return Shape.of(shape);
  }

  /** Returns the size of dimension {@code dim}; negative dims count from the end. */
  public int size(int dim) {
    return shape[Shape.normalizeDim(dim, shape.length, "size")];
  }

  /** Returns the number of dimensions. */
  public int dim() {
    return shape.length;
  }

  /** Returns the number of elements. */
  public long numel() {
    return Shape.numel(shape);
  }

  /** Returns the element type. */
  public DType dtype() {
    return dtype;
  }

  /** Returns the device the data lives on. */
  public Device device() {
    return data.backend.device();
  }

  /** Returns whether the elements are laid out row-major without gaps. */
  public boolean isContiguous() {
    return new Strided(data.storage, dtype, shape, strides, offset).isContiguous();
  }

  /**
   * Returns the value of a one-element tensor as a double.
   *
   * @throws IllegalArgumentException if the tensor has more than one element
   */
  public double item() {
    if (numel() != 1) {
      throw new IllegalArgumentException("item: a tensor with " + numel() + " elements (shape " + shape()
          + ") cannot be converted to a scalar");
    }
    return toDoubleArray()[0];
  }

  /** Returns the elements, row-major, as floats. */
  public float[] toFloatArray() {
    ByteBuffer b = hostBytes(DType.FLOAT32);
    float[] out = new float[(int) numel()];
    b.asFloatBuffer().get(out);
    return out;
  }

  /** Returns the elements, row-major, as doubles. */
  public double[] toDoubleArray() {
    ByteBuffer b = hostBytes(DType.FLOAT64);
    double[] out = new double[(int) numel()];
    b.asDoubleBuffer().get(out);
    return out;
  }

  /** Returns the elements, row-major, as longs (floating values truncate toward zero). */
  public long[] toLongArray() {
    ByteBuffer b = hostBytes(DType.INT64);
    long[] out = new long[(int) numel()];
    b.asLongBuffer().get(out);
    return out;
  }

  /** Returns the elements, row-major, as booleans (non-zero is true). */
  public boolean[] toBooleanArray() {
    ByteBuffer b = hostBytes(DType.BOOL);
    boolean[] out = new boolean[(int) numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.get(i) != 0;
    }
    return out;
  }

  /** Returns the elements converted to {@code type}, row-major, as little-endian bytes. */
  public ByteBuffer hostBytes(DType type) {
    Tensor c = Dispatch.contiguous(Dispatch.cast(this, type));
    if (c.offset != 0 || c.data.storage.numel() != Math.max(c.numel(), 1)) {
      Tensor fresh = Dispatch.empty(c.backend(), type, shape);
      c.backend().copy(c.strided(), fresh.strided());
      c = fresh;
    }
    ByteBuffer b = ByteBuffer.allocate((int) Math.max(c.numel(), 1) * type.byteSize())
        .order(ByteOrder.LITTLE_ENDIAN);
    c.backend().copyToHost(c.data.storage, b);
    b.rewind();
    b.limit((int) numel() * type.byteSize());
    return b.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns the values as PyTorch prints them, summarized for large tensors. */
  @Override
  public String toString() {
    return Printing.format(this);
  }

  // ---------------------------------------------------------------- conversion, copies, autograd state

  /** Returns this tensor converted to {@code dtype}: itself if it already has it, else a copy. */
  public Tensor to(DType type) {
    return Views.toDType(this, type);
  }

  /** Returns this tensor on {@code device}: itself if it is there, else a differentiable copy. */
  public Tensor to(Device device) {
    return Views.toDevice(this, device);
  }

  /** Returns this tensor on the device named like PyTorch's: {@code "cpu"}, {@code "cuda:0"}. */
  public Tensor to(String device) {
    return to(Device.parse(device));
  }

  /** Returns this tensor as float16 ({@code torch.half}), rounded to nearest even; {@code to(FLOAT16)}. */
  public Tensor half() {
    return to(DType.FLOAT16);
  }

  /** Returns this tensor as bfloat16, rounded to nearest even; {@code to(BFLOAT16)}. */
  public Tensor bfloat16() {
    return to(DType.BFLOAT16);
  }

  /** Returns a contiguous tensor with the same values: itself if already contiguous. */
  public Tensor contiguous() {
    return Views.contiguous(this);
  }

  /** Returns a copy with its own storage; differentiable. */
  public Tensor clone() {
    return Views.cloneTensor(this);
  }

  /** Returns a view sharing storage, cut from the graph. */
  public Tensor detach() {
    Tensor t = new Tensor(data, dtype, shape, strides, offset, base);
    return t;
  }

  /** Returns whether gradients are computed for this tensor. */
  public boolean requiresGrad() {
    return requiresGrad || (viewBase != null && !viewMadeWithoutGrad && viewBase.requiresGrad);
  }

  /**
   * Sets whether this leaf tensor requires grad; returns {@code this}.
   *
   * @throws IllegalArgumentException if the dtype is neither floating nor complex, or for a non-leaf tensor
   */
  public Tensor requiresGrad(boolean flag) {
    if (flag && !dtype.isFloatingPoint() && !dtype.isComplex()) {
      throw new IllegalArgumentException("requiresGrad: only floating point and complex tensors can"
          + " require gradients, this one is " + dtype);
    }
    if (gradFn != null && !flag) {
      throw new IllegalArgumentException("requiresGrad: cannot turn off requiresGrad of a non-leaf"
          + " tensor; use detach()");
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Returns the accumulated gradient, or null (from now on user code may hold it: it is never freed early). */
  public Tensor grad() {
    gradUnseen = false;
    return grad;
  }

  /**
   * Replaces the accumulated gradient (null clears it). A gradient that backward made and no user code
   * was handed ({@link #grad()}, a hook) is freed at once, as PyTorch's reference count frees it; one
   * that was handed out stays valid and is left to the garbage collector.
   *
   * @throws IllegalArgumentException if {@code g}'s dtype, shape or device differs from this tensor's
   */
  public void setGrad(Tensor g) {
    Tensor checked = Autograd.checkAssignedGrad(this, g);
    if (checked != grad) {
      freeUnseenGrad();
    }
    this.grad = checked;
    gradUnseen = false;
  }

  /**
   * Frees {@link #grad}'s storage if backward made it and nothing outside the library holds it (the
   * gradient fills its storage: a view of a backward temporary that nothing else uses, or a copy).
   */
  private void freeUnseenGrad() {
    if (gradUnseen && grad != null && grad.coversItsStorage()) {
      grad.data.storage.close();
    }
    gradUnseen = false;
  }

  /** Returns the node that created this tensor, or null for a leaf. */
  public Node gradFn() {
    refreshViewHistory();
    return gradFn;
  }

  /** Returns whether this is a leaf: made by the user, not by an op recorded in a graph. */
  public boolean isLeaf() {
    return gradFn() == null;
  }

  /** Makes backward fill {@link #grad()} of this non-leaf tensor too; returns {@code this}. */
  public Tensor retainGrad() {
    Node node = gradFn();
    if (node != null) {
      node.retained = new java.lang.ref.WeakReference<>(this);
    }
    return this;
  }

  /**
   * Registers a hook that sees this tensor's gradient during backward and may return a replacement
   * (or null to keep it) of the same shape, dtype and device; returns a handle that removes it.
   */
  public RemovableHandle registerHook(UnaryOperator<Tensor> hook) {
    if (!requiresGrad) {
      throw new IllegalStateException("registerHook: cannot register a hook on a tensor that doesn't"
          + " require gradient");
    }
    Node n = edgeNode();
    if (n.hooks == null) {
      n.hooks = new ArrayList<>();
      if (n.isAccumulator()) {
        leafHooks = n.hooks;
      }
    }
    n.hooks.add(hook);
    return Node.removal(n.hooks, hook);
  }

  /** Computes the gradient of this scalar with respect to the graph's leaves. */
  public void backward() {
    Autograd.backward(new Tensor[] {this}, null, false, false);
  }

  /** Computes gradients with {@code gradient} as d(out)/d(this); for non-scalar outputs. */
  public void backward(Tensor gradient) {
    Autograd.backward(new Tensor[] {this}, new Tensor[] {gradient}, false, false);
  }

  /** Computes gradients, keeping the graph for another backward if {@code retainGraph}. */
  public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
    Autograd.backward(new Tensor[] {this}, new Tensor[] {gradient}, retainGraph, createGraph);
  }

  /** Frees this tensor's storage now if it is not a view and not shared; idempotent. */
  @Override
  public void close() {
    if (base == null) {
      data.storage.close();
    }
  }

  // ---------------------------------------------------------------- elementwise arithmetic

  /** Returns {@code this + other}, broadcasting. */
  public Tensor add(Tensor other) {
    return Arithmetic.add(this, other);
  }

  /** Returns {@code this + value}. */
  public Tensor add(double value) {
    return Arithmetic.add(this, Creation.scalarLike(this, value));
  }

  /** Returns {@code this + alpha * other}, broadcasting. */
  public Tensor add(Tensor other, double alpha) {
    return Arithmetic.add(this, alpha == 1 ? other : other.mul(alpha));
  }

  /** Returns {@code this - other}, broadcasting. */
  public Tensor sub(Tensor other) {
    return Arithmetic.sub(this, other);
  }

  /** Returns {@code this - value}. */
  public Tensor sub(double value) {
    return Arithmetic.sub(this, Creation.scalarLike(this, value));
  }

  /** Returns {@code value - this}. */
  public Tensor rsub(double value) {
    return Arithmetic.sub(Creation.scalarLike(this, value), this);
  }

  /** Returns {@code this * other}, broadcasting. */
  public Tensor mul(Tensor other) {
    return Arithmetic.mul(this, other);
  }

  /** Returns {@code this * value}. */
  public Tensor mul(double value) {
    return Arithmetic.mul(this, Creation.scalarLike(this, value));
  }

  /** Returns {@code this / other}, broadcasting; integer inputs give float32 (true division). */
  public Tensor div(Tensor other) {
    return Arithmetic.div(this, other);
  }

  /** Returns {@code this / value}. */
  public Tensor div(double value) {
    return Arithmetic.div(this, Creation.scalarLike(this, value));
  }

  /** Returns {@code this ^ exponent}, broadcasting, with C's rules (1^y = 1 for every y, NaN included). */
  public Tensor pow(Tensor exponent) {
    return Arithmetic.pow(this, exponent);
  }

  /** Returns {@code this ^ exponent}. */
  public Tensor pow(double exponent) {
    return Arithmetic.powScalar(this, exponent);
  }

  /** Returns {@code -this}. */
  public Tensor neg() {
    return Arithmetic.neg(this);
  }

  /** Returns the elementwise maximum, broadcasting; the gradient splits evenly on ties. */
  public Tensor maximum(Tensor other) {
    return Arithmetic.maximum(this, other);
  }

  /** Returns the elementwise minimum, broadcasting; the gradient splits evenly on ties. */
  public Tensor minimum(Tensor other) {
    return Arithmetic.minimum(this, other);
  }

  /** Returns values clamped to {@code [min, max]}; pass NaN to leave a side open. */
  public Tensor clamp(double min, double max) {
    return Arithmetic.clamp(this, min, max);
  }

  /** Returns {@code this == other} (bool), broadcasting. */
  public Tensor eq(Tensor other) {
    return Arithmetic.compare("eq", dev.ember.spi.BinaryOp.EQ, this, other);
  }

  /** Returns {@code this == value} (bool). */
  public Tensor eq(double value) {
    return eq(Creation.scalarLike(this, value));
  }

  /** Returns {@code this != other} (bool), broadcasting. */
  public Tensor ne(Tensor other) {
    return Arithmetic.compare("ne", dev.ember.spi.BinaryOp.NE, this, other);
  }

  /** Returns {@code this != value} (bool). */
  public Tensor ne(double value) {
    return ne(Creation.scalarLike(this, value));
  }

  /** Returns {@code this < other} (bool), broadcasting. */
  public Tensor lt(Tensor other) {
    return Arithmetic.compare("lt", dev.ember.spi.BinaryOp.LT, this, other);
  }

  /** Returns {@code this < value} (bool). */
  public Tensor lt(double value) {
    return lt(Creation.scalarLike(this, value));
  }

  /** Returns {@code this <= other} (bool), broadcasting. */
  public Tensor le(Tensor other) {
    return Arithmetic.compare("le", dev.ember.spi.BinaryOp.LE, this, other);
  }

  /** Returns {@code this <= value} (bool). */
  public Tensor le(double value) {
    return le(Creation.scalarLike(this, value));
  }

  /** Returns {@code this > other} (bool), broadcasting. */
  public Tensor gt(Tensor other) {
    return Arithmetic.compare("gt", dev.ember.spi.BinaryOp.GT, this, other);
  }

  /** Returns {@code this > value} (bool). */
  public Tensor gt(double value) {
    return gt(Creation.scalarLike(this, value));
  }

  /** Returns {@code this >= other} (bool), broadcasting. */
  public Tensor ge(Tensor other) {
    return Arithmetic.compare("ge", dev.ember.spi.BinaryOp.GE, this, other);
  }

  /** Returns {@code this >= value} (bool). */
  public Tensor ge(double value) {
    return ge(Creation.scalarLike(this, value));
  }

  /** Returns the logical and of truth values (bool), broadcasting. */
  public Tensor logicalAnd(Tensor other) {
    return Arithmetic.compare("logical_and", dev.ember.spi.BinaryOp.LOGICAL_AND, this, other);
  }

  /** Returns the logical or of truth values (bool), broadcasting. */
  public Tensor logicalOr(Tensor other) {
    return Arithmetic.compare("logical_or", dev.ember.spi.BinaryOp.LOGICAL_OR, this, other);
  }

  /** Returns the logical xor of truth values (bool), broadcasting. */
  public Tensor logicalXor(Tensor other) {
    return Arithmetic.compare("logical_xor", dev.ember.spi.BinaryOp.LOGICAL_XOR, this, other);
  }

  /** Returns the logical not of truth values (bool). */
  public Tensor logicalNot() {
    return Dispatch.unary(dev.ember.spi.UnaryOp.LOGICAL_NOT, this);
  }

  /** Returns {@code condition ? a : b} elementwise, broadcasting all three. */
  public static Tensor where(Tensor condition, Tensor a, Tensor b) {
    return Arithmetic.where(condition, a, b);
  }

  /** Returns a copy with {@code value} where {@code mask} (bool, broadcastable) is true. */
  public Tensor maskedFill(Tensor mask, double value) {
    return Arithmetic.maskedFill(this, mask, value);
  }

  // ---------------------------------------------------------------- unary math and activations

  /** Returns {@code e^x}. */
  public Tensor exp() {
    return Unary.exp(this);
  }

  /** Returns the natural logarithm. */
  public Tensor log() {
    return Unary.log(this);
  }

  /** Returns the square root. */
  public Tensor sqrt() {
    return Unary.sqrt(this);
  }

  /** Returns {@code 1 / sqrt(x)}. */
  public Tensor rsqrt() {
    return Unary.rsqrt(this);
  }

  /** Returns {@code |x|}; the gradient at 0 is 0. */
  public Tensor abs() {
    return Unary.abs(this);
  }

  /** Returns {@code x * x}. */
  public Tensor square() {
    return Unary.square(this);
  }

  /** Returns {@code 1 / x}. */
  public Tensor reciprocal() {
    return Unary.reciprocal(this);
  }

  /** Returns {@code log(1 + x)}. */
  public Tensor log1p() {
    return Unary.log1p(this);
  }

  /** Returns {@code e^x - 1}. */
  public Tensor expm1() {
    return Unary.expm1(this);
  }

  /** Returns the sine. */
  public Tensor sin() {
    return Unary.sin(this);
  }

  /** Returns the cosine. */
  public Tensor cos() {
    return Unary.cos(this);
  }

  /** Returns the hyperbolic tangent. */
  public Tensor tanh() {
    return Unary.tanh(this);
  }

  /** Returns the logistic sigmoid. */
  public Tensor sigmoid() {
    return Unary.sigmoid(this);
  }

  /** Returns the sign: -1, 0 or 1, and +0 for -0.0 and NaN as in PyTorch (not differentiable: zero gradient). */
  public Tensor sign() {
    return Unary.sign(this);
  }

  /** Returns the error function. */
  public Tensor erf() {
    return Unary.erf(this);
  }

  /** Returns values rounded down (zero gradient). */
  public Tensor floor() {
    return Unary.rounding(this, dev.ember.spi.UnaryOp.FLOOR);
  }

  /** Returns values rounded up (zero gradient). */
  public Tensor ceil() {
    return Unary.rounding(this, dev.ember.spi.UnaryOp.CEIL);
  }

  /** Returns values rounded half to even (zero gradient). */
  public Tensor round() {
    return Unary.rounding(this, dev.ember.spi.UnaryOp.ROUND);
  }

  /** Returns {@code x < 0 ? 0 : x} (PyTorch's ReLU: NaN and -0.0 stay); the gradient at 0 is 0. */
  public Tensor relu() {
    return Activations.relu(this);
  }

  /** Returns the softmax along {@code dim}. */
  public Tensor softmax(int dim) {
    return Activations.softmax(this, dim);
  }

  /** Returns the log-softmax along {@code dim}, stable for large logits. */
  public Tensor logSoftmax(int dim) {
    return Activations.logSoftmax(this, dim);
  }

  // ---------------------------------------------------------------- reductions

  /** Returns the sum of all elements (0-d); bool and integer inputs sum to int64. */
  public Tensor sum() {
    return Reductions.sum(this, null, false);
  }

  /** Returns the sum over {@code dims}. */
  public Tensor sum(int[] dims, boolean keepdim) {
    return Reductions.sum(this, dims, keepdim);
  }

  /** Returns the sum over {@code dim}. */
  public Tensor sum(int dim, boolean keepdim) {
    return Reductions.sum(this, new int[] {dim}, keepdim);
  }

  /** Returns the mean of all elements (0-d). */
  public Tensor mean() {
    return Reductions.mean(this, null, false);
  }

  /** Returns the mean over {@code dims}. */
  public Tensor mean(int[] dims, boolean keepdim) {
    return Reductions.mean(this, dims, keepdim);
  }

  /** Returns the mean over {@code dim}. */
  public Tensor mean(int dim, boolean keepdim) {
    return Reductions.mean(this, new int[] {dim}, keepdim);
  }

  /** Returns the maximum of all elements (0-d); the gradient splits evenly between ties. */
  public Tensor amax() {
    return Reductions.amax(this, null, false);
  }

  /** Returns the maximum of all elements (0-d), as {@link #amax()} ({@code torch.max(x)}). */
  public Tensor max() {
    return amax();
  }

  /** Returns the maximum over {@code dims}. */
  public Tensor amax(int[] dims, boolean keepdim) {
    return Reductions.amax(this, dims, keepdim);
  }

  /** Returns the maximum over {@code dim}. */
  public Tensor amax(int dim, boolean keepdim) {
    return Reductions.amax(this, new int[] {dim}, keepdim);
  }

  /** Returns the minimum of all elements (0-d). */
  public Tensor amin() {
    return Reductions.amin(this, null, false);
  }

  /** Returns the minimum of all elements (0-d), as {@link #amin()} ({@code torch.min(x)}). */
  public Tensor min() {
    return amin();
  }

  /** Returns the minimum over {@code dims}. */
  public Tensor amin(int[] dims, boolean keepdim) {
    return Reductions.amin(this, dims, keepdim);
  }

  /** Returns the minimum over {@code dim}. */
  public Tensor amin(int dim, boolean keepdim) {
    return Reductions.amin(this, new int[] {dim}, keepdim);
  }

  /** Returns the maximum over {@code dim} with the index of its first occurrence. */
  public Reductions.ValuesIndices max(int dim, boolean keepdim) {
    return Reductions.maxWithIndices(this, dim, keepdim, true);
  }

  /** Returns the minimum over {@code dim} with the index of its first occurrence. */
  public Reductions.ValuesIndices min(int dim, boolean keepdim) {
    return Reductions.maxWithIndices(this, dim, keepdim, false);
  }

  /** Returns the flat index (int64, 0-d) of the first maximum. */
  public Tensor argmax() {
    return Reductions.argmaxAll(this, true);
  }

  /** Returns the index (int64) of the first maximum along {@code dim}. */
  public Tensor argmax(int dim, boolean keepdim) {
    return Reductions.argmax(this, dim, keepdim, true);
  }

  /** Returns the index (int64) of the first minimum along {@code dim}. */
  public Tensor argmin(int dim, boolean keepdim) {
    return Reductions.argmax(this, dim, keepdim, false);
  }

  /** Returns the product of all elements (0-d). */
  public Tensor prod() {
    return Reductions.prod(this, null, false);
  }

  /** Returns the product over {@code dim}. */
  public Tensor prod(int dim, boolean keepdim) {
    return Reductions.prod(this, new int[] {dim}, keepdim);
  }

  /** Returns the variance of all elements with Bessel's correction (0-d). */
  public Tensor var() {
    return Reductions.var(this, null, 1, false);
  }

  /** Returns the variance over {@code dims} with {@code correction} (1 = unbiased, 0 = biased). */
  public Tensor var(int[] dims, double correction, boolean keepdim) {
    return Reductions.var(this, dims, correction, keepdim);
  }

  /** Returns the standard deviation of all elements with Bessel's correction (0-d). */
  public Tensor std() {
    return Reductions.std(this, null, 1, false);
  }

  /** Returns the standard deviation over {@code dims} with {@code correction}. */
  public Tensor std(int[] dims, double correction, boolean keepdim) {
    return Reductions.std(this, dims, correction, keepdim);
  }

  /** Returns {@code log(sum(exp(x)))} over {@code dims}, computed stably. */
  public Tensor logsumexp(int[] dims, boolean keepdim) {
    return Reductions.logsumexp(this, dims, keepdim);
  }

  /** Returns {@code log(sum(exp(x)))} over {@code dim}, computed stably. */
  public Tensor logsumexp(int dim, boolean keepdim) {
    return Reductions.logsumexp(this, new int[] {dim}, keepdim);
  }

  /** Returns the inclusive cumulative sum along {@code dim}. */
  public Tensor cumsum(int dim) {
    return Reductions.cumsum(this, dim);
  }

  /** Returns the vector {@code ord}-norm over {@code dims} (null: all elements). */
  public Tensor norm(double ord, int[] dims, boolean keepdim) {
    return Reductions.vectorNorm(this, ord, dims, keepdim);
  }

  /** Returns the Euclidean norm of all elements (0-d). */
  public Tensor norm() {
    return Reductions.vectorNorm(this, 2, null, false);
  }

  /** Returns this tensor summed down to {@code target} (the inverse of broadcasting). */
  public Tensor sumTo(int[] target) {
    return Reductions.sumTo(this, target);
  }

  // ---------------------------------------------------------------- linear algebra

  /** Returns the matrix product with PyTorch's rules for 1-d, 2-d and batched operands. */
  public Tensor matmul(Tensor other) {
    return Linalg.matmul(this, other);
  }

  /** Returns the batched product of [B, n, m] and [B, m, p] tensors. */
  public Tensor bmm(Tensor other) {
    return Linalg.bmm(this, other);
  }

  /** Returns the matrix product of two 2-d tensors. */
  public Tensor mm(Tensor other) {
    return Linalg.mm(this, other);
  }

  /** Returns the outer product of two 1-d tensors. */
  public Tensor outer(Tensor other) {
    return Linalg.outer(this, other);
  }

  // ---------------------------------------------------------------- views and shape

  /** Returns a view with a new shape (one size may be -1); fails if the strides don't allow it. */
  public Tensor view(int... newShape) {
    return Views.view(this, newShape);
  }

  /** Returns a view with a new shape where possible, else a copy. */
  public Tensor reshape(int... newShape) {
    return Views.reshape(this, newShape);
  }

  /** Returns a view with dimensions reordered. */
  public Tensor permute(int... dims) {
    return Views.permute(this, dims);
  }

  /** Returns a view with two dimensions swapped. */
  public Tensor transpose(int dim0, int dim1) {
    return Views.transpose(this, dim0, dim1);
  }

  /** Returns the transpose of a tensor of at most 2 dims. */
  public Tensor t() {
    return Views.t(this);
  }

  /** Returns a broadcast view with size-1 dims expanded (-1 keeps a size); no copy. */
  public Tensor expand(int... newShape) {
    return Views.expand(this, newShape);
  }

  /** Returns a view of {@code length} elements of {@code dim} from {@code start} (may be negative). */
  public Tensor narrow(int dim, int start, int length) {
    return Views.narrow(this, dim, start, length);
  }

  /** Returns the view {@code x[..., start:end:step, ...]} on {@code dim} (Python slice rules). */
  public Tensor slice(int dim, int start, int end, int step) {
    return Views.slice(this, dim, start, end, step);
  }

  /** Returns the view at {@code index} of {@code dim}, dropping that dim. */
  public Tensor select(int dim, int index) {
    return Views.select(this, dim, index);
  }

  /** Returns a view with a size-1 dim inserted at {@code dim}. */
  public Tensor unsqueeze(int dim) {
    return Views.unsqueeze(this, dim);
  }

  /** Returns a view without any size-1 dims. */
  public Tensor squeeze() {
    return Views.squeeze(this, null);
  }

  /** Returns a view without {@code dim} if its size is 1 (else the same shape). */
  public Tensor squeeze(int dim) {
    return Views.squeeze(this, new int[] {dim});
  }

  /** Returns a 1-d view (or copy) of all elements. */
  public Tensor flatten() {
    return Views.flatten(this, 0, -1);
  }

  /** Returns dims {@code startDim..} (to the last) merged into one: [2, 3, 4].flatten(1) is [2, 12]. */
  public Tensor flatten(int startDim) {
    return Views.flatten(this, startDim, -1);
  }

  /** Returns dims {@code startDim..endDim} merged into one. */
  public Tensor flatten(int startDim, int endDim) {
    return Views.flatten(this, startDim, endDim);
  }

  /** Returns {@code dim} split into {@code sizes} (one may be -1). */
  public Tensor unflatten(int dim, int... sizes) {
    return Views.unflatten(this, dim, sizes);
  }

  /** Returns the tensor repeated along each dim ({@code Tensor.repeat}). */
  public Tensor repeat(int... repeats) {
    return Shaping.repeat(this, repeats);
  }

  /** Returns the lower triangle of the last two dims, zeroing above diagonal {@code diagonal}. */
  public Tensor tril(int diagonal) {
    return Shaping.tril(this, diagonal, true);
  }

  /** Returns the upper triangle of the last two dims, zeroing below diagonal {@code diagonal}. */
  public Tensor triu(int diagonal) {
    return Shaping.tril(this, diagonal, false);
  }

  /** Returns pieces of at most {@code splitSize} along {@code dim} (views). */
  public List<Tensor> split(int splitSize, int dim) {
    return Shaping.split(this, splitSize, dim);
  }

  /** Returns {@code chunks} pieces along {@code dim} (views), the last possibly smaller. */
  public List<Tensor> chunk(int chunks, int dim) {
    return Shaping.chunk(this, chunks, dim);
  }

  // ---------------------------------------------------------------- indexing

  /**
   * Returns {@code x[...]} for Python-style indices: Integer (negative counts from the end), {@link
   * Index#slice}, {@link Index#NEW_AXIS}, {@link Index#ELLIPSIS}, int64 tensors and bool masks.
   * Integers and slices give views; tensor indices give copies.
   */
  public Tensor index(Object... indices) {
    return Indexing.index(this, indices);
  }

  /** Writes {@code value} (broadcast) into {@code x[...]} in place ({@code x[...] = value}). */
  public Tensor indexPut(Tensor value, Object... indices) {
    return Indexing.indexPut(this, value, indices);
  }

  /** Returns the entries of {@code dim} picked by the int64 1-d {@code index}. */
  public Tensor indexSelect(int dim, Tensor index) {
    return Indexing.indexSelect(this, dim, index);
  }

  /** Returns {@code out[i][j] = x[i][index[i][j]]} for dim 1 ({@code torch.gather}). */
  public Tensor gather(int dim, Tensor index) {
    return Indexing.gather(this, dim, index);
  }

  /** Returns a copy with {@code src} added at {@code index} along {@code dim} ({@code scatter_add}). */
  public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
    return Indexing.scatterAdd(this, dim, index, src);
  }

  // ---------------------------------------------------------------- in place (PyTorch's trailing _)

  /** Adds {@code other} in place ({@code add_}); returns {@code this}. */
  public Tensor addInPlace(Tensor other) {
    return Arithmetic.inPlace("add_", this, other, dev.ember.spi.BinaryOp.ADD, Tensor::add);
  }

  /** Adds {@code value} in place; returns {@code this}. */
  public Tensor addInPlace(double value) {
    return addInPlace(Creation.scalarLike(this, value));
  }

  /** Adds {@code alpha * other} in place; returns {@code this}. */
  public Tensor addInPlace(Tensor other, double alpha) {
    return Arithmetic.addScaledInPlace(this, other, alpha);
  }

  /** Subtracts {@code other} in place ({@code sub_}); returns {@code this}. */
  public Tensor subInPlace(Tensor other) {
    return Arithmetic.inPlace("sub_", this, other, dev.ember.spi.BinaryOp.SUB, Tensor::sub);
  }

  /** Multiplies by {@code other} in place ({@code mul_}); returns {@code this}. */
  public Tensor mulInPlace(Tensor other) {
    return Arithmetic.inPlace("mul_", this, other, dev.ember.spi.BinaryOp.MUL, Tensor::mul);
  }

  /** Multiplies by {@code value} in place; returns {@code this}. */
  public Tensor mulInPlace(double value) {
    return mulInPlace(Creation.scalarLike(this, value));
  }

  /** Divides by {@code other} in place ({@code div_}); returns {@code this}. */
  public Tensor divInPlace(Tensor other) {
    return Arithmetic.inPlace("div_", this, other, dev.ember.spi.BinaryOp.DIV, Tensor::div);
  }

  /** Divides by {@code value} in place; returns {@code this}. */
  public Tensor divInPlace(double value) {
    return divInPlace(Creation.scalarLike(this, value));
  }

  /** Clamps in place ({@code clamp_}); returns {@code this}. */
  public Tensor clampInPlace(double min, double max) {
    return Arithmetic.inPlaceUnary("clamp_", this, x -> x.clamp(min, max));
  }

  /** Fills with {@code value} where {@code mask} is true, in place ({@code masked_fill_}). */
  public Tensor maskedFillInPlace(Tensor mask, double value) {
    return Arithmetic.inPlaceUnary("masked_fill_", this, x -> x.maskedFill(mask, value));
  }

  /** Sets every element to {@code value} ({@code fill_}); returns {@code this}. */
  public Tensor fillInPlace(double value) {
    return Arithmetic.fillInPlace(this, value);
  }

  /** Sets every element to zero ({@code zero_}); returns {@code this}. */
  public Tensor zeroInPlace() {
    return Arithmetic.fillInPlace(this, 0);
  }

  /** Copies {@code src} (broadcast, converted) into this tensor ({@code copy_}); returns {@code this}. */
  public Tensor copyInPlace(Tensor src) {
    return Arithmetic.copyInPlace(this, src);
  }

  // ---------------------------------------------------------------- PyTorch names: sorting, indexing,
  // rearranging, sampling (logic in ops.Sorting, ops.Scattering, ops.Rearranging, ops.Cumulative,
  // ops.Sampling; docs/pytorch-coverage.md)

  /** Returns the {@code k} largest elements of the last dim and their int64 indices ({@code topk}). */
  public Reductions.ValuesIndices topk(int k) {
    return dev.ember.ops.Sorting.topk(this, k, -1, true, true);
  }

  /** Returns the {@code k} largest (or smallest) elements along {@code dim} and their int64 indices. */
  public Reductions.ValuesIndices topk(int k, int dim, boolean largest, boolean sorted) {
    return dev.ember.ops.Sorting.topk(this, k, dim, largest, sorted);
  }

  /** Returns the last dim sorted ascending, with the int64 positions of the values ({@code sort}). */
  public Reductions.ValuesIndices sort() {
    return dev.ember.ops.Sorting.sort(this, -1, false);
  }

  /** Returns {@code dim} sorted (descending if asked), with int64 positions; ties keep input order. */
  public Reductions.ValuesIndices sort(int dim, boolean descending) {
    return dev.ember.ops.Sorting.sort(this, dim, descending);
  }

  /** {@code sort(dim, descending, stable)}: every Ember sort is stable, so {@code stable} changes nothing. */
  public Reductions.ValuesIndices sort(int dim, boolean descending, boolean stable) {
    return dev.ember.ops.Sorting.sort(this, dim, descending);
  }

  /** Returns the int64 positions that sort the last dim ascending ({@code argsort}). */
  public Tensor argsort() {
    return dev.ember.ops.Sorting.argsort(this, -1, false);
  }

  /** Returns the int64 positions that sort {@code dim}; ties keep input order. */
  public Tensor argsort(int dim, boolean descending) {
    return dev.ember.ops.Sorting.argsort(this, dim, descending);
  }

  /** {@code argsort(dim, descending, stable)}: every Ember sort is stable. */
  public Tensor argsort(int dim, boolean descending, boolean stable) {
    return dev.ember.ops.Sorting.argsort(this, dim, descending);
  }

  /** Returns the sorted distinct elements with inverse indices and counts ({@code torch.unique}). */
  public dev.ember.ops.Sorting.Unique unique() {
    return dev.ember.ops.Sorting.unique(this);
  }

  /** Returns each element's bucket among the sorted 1-d {@code boundaries}, int64 ({@code torch.bucketize}). */
  public static Tensor bucketize(Tensor input, Tensor boundaries, boolean right) {
    return dev.ember.ops.Sorting.bucketize(input, boundaries, right);
  }

  /** Returns a copy with the elements of each of {@code dims} reversed ({@code flip}). */
  public Tensor flip(int... dims) {
    return dev.ember.ops.Rearranging.flip(this, dims);
  }

  /** Rolls the flattened tensor by {@code shift} and restores its shape ({@code roll(shift)}). */
  public Tensor roll(int shift) {
    return dev.ember.ops.Rearranging.roll(this, new int[] {shift}, new int[0]);
  }

  /** Rolls {@code dims[i]} by {@code shifts[i]}, wrapping around ({@code roll(shifts, dims)}). */
  public Tensor roll(int[] shifts, int[] dims) {
    return dev.ember.ops.Rearranging.roll(this, shifts, dims);
  }

  /** Returns the slices along {@code dim}, each without that dim (views; {@code unbind}). */
  public List<Tensor> unbind(int dim) {
    return dev.ember.ops.Rearranging.unbind(this, dim);
  }

  /** Returns pieces of the given {@code sizes} along {@code dim} (views; {@code split([sizes], dim)}). */
  public List<Tensor> split(int[] sizes, int dim) {
    return Shaping.split(this, sizes, dim);
  }

  /** Repeats each element {@code repeats} times in the flattened tensor ({@code repeat_interleave}). */
  public Tensor repeatInterleave(int repeats) {
    return dev.ember.ops.Rearranging.repeatInterleave(this, repeats, null);
  }

  /** Repeats each element of {@code dim} {@code repeats} times ({@code repeat_interleave(r, dim)}). */
  public Tensor repeatInterleave(int repeats, int dim) {
    return dev.ember.ops.Rearranging.repeatInterleave(this, repeats, dim);
  }

  /** Repeats element {@code i} of {@code dim} {@code repeats[i]} times (int64 1-d {@code repeats}). */
  public Tensor repeatInterleave(Tensor repeats, int dim) {
    return dev.ember.ops.Rearranging.repeatInterleave(this, repeats, dim);
  }

  /** Returns "ij" coordinate grids of 0-d or 1-d tensors (broadcast views; {@code torch.meshgrid}). */
  public static List<Tensor> meshgrid(Tensor... tensors) {
    return dev.ember.ops.Rearranging.meshgrid(List.of(tensors), "ij");
  }

  /** Returns coordinate grids with {@code indexing} "ij" (matrix) or "xy" (Cartesian). */
  public static List<Tensor> meshgrid(List<Tensor> tensors, String indexing) {
    return dev.ember.ops.Rearranging.meshgrid(tensors, indexing);
  }

  /** Returns the view of the main diagonal of the first two dims, appended as the last dim ({@code diagonal()}). */
  public Tensor diagonal() {
    return dev.ember.ops.Rearranging.diagonal(this, 0, 0, 1);
  }

  /** Returns the view of diagonal {@code offset} of the plane {@code (dim1, dim2)}, appended as the last dim. */
  public Tensor diagonal(int offset, int dim1, int dim2) {
    return dev.ember.ops.Rearranging.diagonal(this, offset, dim1, dim2);
  }

  /** 1-d: the square matrix with this on diagonal {@code offset}; 2-d: that diagonal, copied ({@code diag}). */
  public Tensor diag(int offset) {
    return dev.ember.ops.Rearranging.diag(this, offset);
  }

  /** Returns the sum of the main diagonal of a 2-d tensor, 0-d ({@code trace}). */
  public Tensor trace() {
    return dev.ember.ops.Rearranging.trace(this);
  }

  /** Returns the inner product of two 1-d tensors of one length and dtype, 0-d ({@code dot}). */
  public Tensor dot(Tensor other) {
    return Linalg.dot(this, other);
  }

  /** Returns the view with all dims reversed ({@code x.T}; PyTorch deprecates it beyond 2-d). */
  public Tensor T() {
    return dev.ember.ops.Rearranging.reverseDims(this);
  }

  /** Returns the view with the last two dims swapped ({@code x.mT}); needs at least 2 dims. */
  public Tensor mT() {
    return dev.ember.ops.Rearranging.matrixTranspose(this);
  }

  /** Returns this expanded to {@code other}'s shape ({@code expand_as}). */
  public Tensor expandAs(Tensor other) {
    return expand(other.shapeArray());
  }

  /** Returns the int64 coordinates {@code [count, rank]} of the non-zero elements ({@code nonzero}). */
  public Tensor nonzero() {
    return dev.ember.ops.Scattering.nonzero(this);
  }

  /** Returns the elements where the bool {@code mask} (broadcast) is true, 1-d ({@code masked_select}). */
  public Tensor maskedSelect(Tensor mask) {
    return dev.ember.ops.Scattering.maskedSelect(this, mask);
  }

  /** Returns the number of non-zero elements, int64 0-d ({@code count_nonzero}). */
  public Tensor countNonzero() {
    return dev.ember.ops.Scattering.countNonzero(this, null);
  }

  /** Returns the number of non-zero elements over {@code dims}, int64 ({@code count_nonzero(dim)}). */
  public Tensor countNonzero(int... dims) {
    return dev.ember.ops.Scattering.countNonzero(this, dims);
  }

  /** Returns the count of each value of this 1-d non-negative integer tensor, int64 ({@code bincount}). */
  public Tensor bincount() {
    return dev.ember.ops.Scattering.bincount(this, null, 0);
  }

  /** Returns the sums of {@code weights} (null: counts) per value, at least {@code minlength} long. */
  public Tensor bincount(Tensor weights, int minlength) {
    return dev.ember.ops.Scattering.bincount(this, weights, minlength);
  }

  /** Returns a copy with {@code src} written at {@code index} along {@code dim} ({@code scatter}). */
  public Tensor scatter(int dim, Tensor index, Tensor src) {
    return dev.ember.ops.Scattering.scatter(this, dim, index, src);
  }

  /** Returns a copy with {@code value} written at {@code index} along {@code dim} ({@code scatter}). */
  public Tensor scatter(int dim, Tensor index, double value) {
    return dev.ember.ops.Scattering.scatter(this, dim, index, value);
  }

  /** Writes {@code src} at {@code index} along {@code dim} in place ({@code scatter_}); returns {@code this}. */
  public Tensor scatterInPlace(int dim, Tensor index, Tensor src) {
    return dev.ember.ops.Scattering.scatterInPlace(this, dim, index, src);
  }

  /** Writes {@code value} at {@code index} along {@code dim} in place ({@code scatter_}); returns {@code this}. */
  public Tensor scatterInPlace(int dim, Tensor index, double value) {
    return dev.ember.ops.Scattering.scatterInPlace(this, dim, index, value);
  }

  /** Returns a copy with {@code source} added at the 1-d {@code index} along {@code dim} ({@code index_add}). */
  public Tensor indexAdd(int dim, Tensor index, Tensor source) {
    return dev.ember.ops.Scattering.indexAdd(this, dim, index, source, 1);
  }

  /** Adds {@code alpha * source} at {@code index} along {@code dim} in place ({@code index_add_}). */
  public Tensor indexAddInPlace(int dim, Tensor index, Tensor source, double alpha) {
    return dev.ember.ops.Scattering.indexAddInPlace(this, dim, index, source, alpha);
  }

  /** Returns the running product along {@code dim} ({@code cumprod}); integers give int64. */
  public Tensor cumprod(int dim) {
    return dev.ember.ops.Cumulative.cumprod(this, dim);
  }

  /** Returns zeros of {@code shape} with this tensor's dtype and device ({@code new_zeros}). */
  public Tensor newZeros(int... shape) {
    return zeros(Shape.of(shape), dtype, device());
  }

  /** Returns ones of {@code shape} with this tensor's dtype and device ({@code new_ones}). */
  public Tensor newOnes(int... shape) {
    return ones(Shape.of(shape), dtype, device());
  }

  /** Returns {@code value} in {@code shape} with this tensor's dtype and device ({@code new_full}). */
  public Tensor newFull(double value, int... shape) {
    return full(Shape.of(shape), value, dtype, device());
  }

  /** Returns an uninitialized tensor of {@code shape}, this tensor's dtype and device ({@code new_empty}). */
  public Tensor newEmpty(int... shape) {
    return empty(Shape.of(shape), dtype, device());
  }

  /** Returns the strides, in elements, of each dim ({@code stride()}). */
  public int[] stride() {
    return stridesArray();
  }

  /** Returns the stride, in elements, of {@code dim} (negative counts from the end; {@code stride(dim)}). */
  public int stride(int dim) {
    return stridesArray()[Shape.normalizeDim(dim, dim(), "stride")];
  }

  /** Returns the view of every window of {@code size} elements of {@code dim}, {@code step} apart ({@code unfold}). */
  public Tensor unfold(int dim, int size, int step) {
    return dev.ember.ops.Rearranging.unfold(this, dim, size, step);
  }

  /** Fills this tensor with integers uniform in {@code [from, to)} ({@code random_}); returns {@code this}. */
  public Tensor randomInPlace(long from, long to, Generator generator) {
    return dev.ember.ops.Sampling.randomInPlace(this, from, to, generator);
  }

  /** Returns a random permutation of {@code 0 .. n-1}, int64, from the global generator ({@code randperm}). */
  public static Tensor randperm(int n) {
    return dev.ember.ops.Sampling.randperm(n, DType.INT64, Device.CPU, null);
  }

  /** Returns a random permutation of {@code 0 .. n-1} drawn from {@code generator} (null: the global one). */
  public static Tensor randperm(int n, DType dtype, Device device, Generator generator) {
    return dev.ember.ops.Sampling.randperm(n, dtype, device, generator);
  }

  /** Draws {@code numSamples} int64 category indices per row of these weights ({@code multinomial}). */
  public Tensor multinomial(int numSamples, boolean replacement) {
    return dev.ember.ops.Sampling.multinomial(this, numSamples, replacement, null);
  }

  /** {@link #multinomial(int, boolean)} drawing from {@code generator} (null: the global one). */
  public Tensor multinomial(int numSamples, boolean replacement, Generator generator) {
    return dev.ember.ops.Sampling.multinomial(this, numSamples, replacement, generator);
  }

  /** Returns 1 with probability given by each element (in [0, 1]), else 0 ({@code torch.bernoulli}). */
  public Tensor bernoulli() {
    return dev.ember.ops.Sampling.bernoulli(this, (Generator) null);
  }

  /** {@link #bernoulli()} drawing from {@code generator} (null: the global one). */
  public Tensor bernoulli(Generator generator) {
    return dev.ember.ops.Sampling.bernoulli(this, generator);
  }

  /** Returns this shape filled with 1 with probability {@code p}, else 0 ({@code x.bernoulli(p)}). */
  public Tensor bernoulli(double p) {
    return dev.ember.ops.Sampling.bernoulli(this, p, null);
  }

  /** Returns normal samples with element-wise {@code mean} and {@code std} (broadcast; {@code torch.normal}). */
  public static Tensor normal(Tensor mean, Tensor std, Generator generator) {
    return dev.ember.ops.Sampling.normal(mean, std, generator);
  }

  /** Returns normal samples of {@code shape} with scalar {@code mean} and {@code std} ({@code torch.normal}). */
  public static Tensor normal(double mean, double std, Shape shape, DType dtype, Device device,
      Generator generator) {
    return dev.ember.ops.Sampling.normal(mean, std, shape, dtype, device, generator);
  }

  // ---------------------------------------------------------------- PyTorch names: truth tests, rounding
  // division, lerp, tensor clamps, scalar forms and in-place forms (ops.Comparison, ops.ElementwiseMath)

  /** Returns whether every element is non-zero (bool, 0-d; NaN is true) ({@code torch.all}). */
  public Tensor all() {
    return Comparison.all(this, null, false);
  }

  /** Returns whether every element along {@code dim} is non-zero (bool). */
  public Tensor all(int dim, boolean keepdim) {
    return Comparison.all(this, new int[] {dim}, keepdim);
  }

  /** Returns whether every element over {@code dims} is non-zero (bool). */
  public Tensor all(int[] dims, boolean keepdim) {
    return Comparison.all(this, dims, keepdim);
  }

  /** Returns whether any element is non-zero (bool, 0-d) ({@code torch.any}). */
  public Tensor any() {
    return Comparison.any(this, null, false);
  }

  /** Returns whether any element along {@code dim} is non-zero (bool). */
  public Tensor any(int dim, boolean keepdim) {
    return Comparison.any(this, new int[] {dim}, keepdim);
  }

  /** Returns whether any element over {@code dims} is non-zero (bool). */
  public Tensor any(int[] dims, boolean keepdim) {
    return Comparison.any(this, dims, keepdim);
  }

  /** Returns where the elements are NaN (bool). */
  public Tensor isnan() {
    return Comparison.isnan(this);
  }

  /** Returns where the elements are +inf or -inf (bool). */
  public Tensor isinf() {
    return Comparison.isinf(this);
  }

  /** Returns where the elements are finite (bool). */
  public Tensor isfinite() {
    return Comparison.isfinite(this);
  }

  /** Returns NaN as 0 and +-inf as the dtype's largest finite values ({@code nan_to_num}). */
  public Tensor nanToNum() {
    return Comparison.nanToNum(this, 0, null, null);
  }

  /** Returns NaN as {@code nan}, +inf as {@code posinf}, -inf as {@code neginf} (null: dtype's extremes). */
  public Tensor nanToNum(double nan, Double posinf, Double neginf) {
    return Comparison.nanToNum(this, nan, posinf, neginf);
  }

  /** Returns {@code |this - other| <= 1e-8 + 1e-5 |other|} elementwise (bool) ({@code isclose}). */
  public Tensor isclose(Tensor other) {
    return Comparison.isclose(this, other, 1e-5, 1e-8, false);
  }

  /** Returns {@code |this - other| <= atol + rtol |other|} elementwise (bool); NaNs match if {@code equalNan}. */
  public Tensor isclose(Tensor other, double rtol, double atol, boolean equalNan) {
    return Comparison.isclose(this, other, rtol, atol, equalNan);
  }

  /** Returns whether {@link #isclose(Tensor)} holds everywhere ({@code allclose}). */
  public boolean allclose(Tensor other) {
    return Comparison.allclose(this, other, 1e-5, 1e-8, false);
  }

  /** Returns whether {@link #isclose(Tensor, double, double, boolean)} holds everywhere. */
  public boolean allclose(Tensor other, double rtol, double atol, boolean equalNan) {
    return Comparison.allclose(this, other, rtol, atol, equalNan);
  }

  /** Returns whether both have the same shape and equal elements ({@code torch.equal}). */
  public boolean equal(Tensor other) {
    return Comparison.equal(this, other);
  }

  /** Returns {@code floor(this / other)} ({@code floor_divide}, Python's {@code //}); exact for integers. */
  public Tensor floorDivide(Tensor other) {
    return ElementwiseMath.floorDivide(this, other);
  }

  /** Returns {@code floor(this / value)}. */
  public Tensor floorDivide(double value) {
    return ElementwiseMath.floorDivide(this, Creation.scalarLike(this, value));
  }

  /** Returns the remainder with the sign of {@code other} ({@code remainder}, Python's {@code %}). */
  public Tensor remainder(Tensor other) {
    return ElementwiseMath.remainder(this, other);
  }

  /** Returns the remainder of division by {@code value}, with the sign of {@code value}. */
  public Tensor remainder(double value) {
    return ElementwiseMath.remainder(this, Creation.scalarLike(this, value));
  }

  /** Returns the remainder with the sign of this tensor ({@code fmod}, C's {@code fmod}). */
  public Tensor fmod(Tensor other) {
    return ElementwiseMath.fmod(this, other);
  }

  /** Returns the remainder of division by {@code value}, with the sign of this tensor. */
  public Tensor fmod(double value) {
    return ElementwiseMath.fmod(this, Creation.scalarLike(this, value));
  }

  /** Returns values rounded toward zero (zero gradient). */
  public Tensor trunc() {
    return ElementwiseMath.trunc(this);
  }

  /** Returns values rounded half to even to {@code decimals} places (negative: tens, hundreds...). */
  public Tensor round(int decimals) {
    return ElementwiseMath.round(this, decimals);
  }

  /** Returns {@code this + weight (end - this)} ({@code lerp}). */
  public Tensor lerp(Tensor end, double weight) {
    return ElementwiseMath.lerp(this, end, Creation.scalarLike(this, weight));
  }

  /** Returns {@code this + weight (end - this)} with a tensor weight, broadcasting. */
  public Tensor lerp(Tensor end, Tensor weight) {
    return ElementwiseMath.lerp(this, end, weight);
  }

  /** Returns values clamped to tensor bounds (either may be null), broadcasting. */
  public Tensor clamp(Tensor min, Tensor max) {
    return ElementwiseMath.clamp(this, min, max);
  }

  /** Returns values clamped to {@code [min, max]}, as {@link #clamp(double, double)} ({@code clip}). */
  public Tensor clip(double min, double max) {
    return Arithmetic.clamp(this, min, max);
  }

  /** Returns values clamped to tensor bounds, as {@link #clamp(Tensor, Tensor)} ({@code clip}). */
  public Tensor clip(Tensor min, Tensor max) {
    return ElementwiseMath.clamp(this, min, max);
  }

  /** Returns {@code this + value * t1 * t2} ({@code addcmul}). */
  public Tensor addcmul(Tensor t1, Tensor t2, double value) {
    return ElementwiseMath.addcmul(this, t1, t2, value);
  }

  /** Returns {@code this + value * t1 / t2} ({@code addcdiv}). */
  public Tensor addcdiv(Tensor t1, Tensor t2, double value) {
    return ElementwiseMath.addcdiv(this, t1, t2, value);
  }

  /** Returns {@code other - this} ({@code torch.rsub(this, other)}). */
  public Tensor rsub(Tensor other) {
    return Arithmetic.sub(other, this);
  }

  /** Returns {@code base ^ exponent} for a scalar base ({@code base ** t}). */
  public static Tensor pow(double base, Tensor exponent) {
    return ElementwiseMath.pow(base, exponent);
  }

  /** Returns {@code condition ? a : b} with a scalar {@code b} ({@code torch.where(c, t, 0.0)}). */
  public static Tensor where(Tensor condition, Tensor a, double b) {
    return Arithmetic.where(condition, a, Creation.scalarLike(a, b));
  }

  /** Returns {@code condition ? a : b} with a scalar {@code a} ({@code torch.where(c, 0.0, t)}). */
  public static Tensor where(Tensor condition, double a, Tensor b) {
    return Arithmetic.where(condition, Creation.scalarLike(b, a), b);
  }

  /** Returns the value of a one-element tensor as a long, exact for every int64 ({@code int(t.item())}). */
  public long itemLong() {
    return Views.itemLong(this);
  }

  /** Subtracts {@code value} in place ({@code sub_}); returns {@code this}. */
  public Tensor subInPlace(double value) {
    return subInPlace(Creation.scalarLike(this, value));
  }

  /** Raises to {@code exponent} in place ({@code pow_}); returns {@code this}. */
  public Tensor powInPlace(double exponent) {
    return Arithmetic.inPlaceUnary("pow_", this, x -> x.pow(exponent));
  }

  /** Raises to {@code exponent} (broadcast) in place ({@code pow_}); returns {@code this}. */
  public Tensor powInPlace(Tensor exponent) {
    return Arithmetic.inPlace("pow_", this, exponent, dev.ember.spi.BinaryOp.POW, Tensor::pow);
  }

  /** Negates in place ({@code neg_}); returns {@code this}. */
  public Tensor negInPlace() {
    return Arithmetic.inPlaceUnary("neg_", this, Tensor::neg);
  }

  /** Takes the absolute value in place ({@code abs_}); returns {@code this}. */
  public Tensor absInPlace() {
    return Arithmetic.inPlaceUnary("abs_", this, Tensor::abs);
  }

  /** Takes the square root in place ({@code sqrt_}); returns {@code this}. */
  public Tensor sqrtInPlace() {
    return Arithmetic.inPlaceUnary("sqrt_", this, Tensor::sqrt);
  }

  /** Exponentiates in place ({@code exp_}); returns {@code this}. */
  public Tensor expInPlace() {
    return Arithmetic.inPlaceUnary("exp_", this, Tensor::exp);
  }

  /** Takes the natural logarithm in place ({@code log_}); returns {@code this}. */
  public Tensor logInPlace() {
    return Arithmetic.inPlaceUnary("log_", this, Tensor::log);
  }

  /** Applies ReLU ({@code x < 0 ? 0 : x}) in place ({@code relu_}); returns {@code this}. */
  public Tensor reluInPlace() {
    return Arithmetic.inPlaceUnary("relu_", this, Tensor::relu);
  }

  /** Adds {@code value * t1 * t2} in place ({@code addcmul_}); returns {@code this}. */
  public Tensor addcmulInPlace(Tensor t1, Tensor t2, double value) {
    return Arithmetic.inPlaceUnary("addcmul_", this, x -> x.addcmul(t1, t2, value));
  }

  /** Adds {@code value * t1 / t2} in place ({@code addcdiv_}); returns {@code this}. */
  public Tensor addcdivInPlace(Tensor t1, Tensor t2, double value) {
    return Arithmetic.inPlaceUnary("addcdiv_", this, x -> x.addcdiv(t1, t2, value));
  }

  /** Moves toward {@code end} by {@code weight} in place ({@code lerp_}); returns {@code this}. */
  public Tensor lerpInPlace(Tensor end, double weight) {
    return Arithmetic.inPlaceUnary("lerp_", this, x -> x.lerp(end, weight));
  }

  /** Moves toward {@code end} by a tensor {@code weight} in place ({@code lerp_}); returns {@code this}. */
  public Tensor lerpInPlace(Tensor end, Tensor weight) {
    return Arithmetic.inPlaceUnary("lerp_", this, x -> x.lerp(end, weight));
  }

  /** Clamps to tensor bounds (either may be null) in place ({@code clamp_}); returns {@code this}. */
  public Tensor clampInPlace(Tensor min, Tensor max) {
    return Arithmetic.inPlaceUnary("clamp_", this, x -> x.clamp(min, max));
  }

  /**
   * Cuts this tensor from the graph in place, making it a leaf that does not require grad ({@code
   * detach_}); returns {@code this}.
   *
   * @throws IllegalStateException for a view of a tensor that requires grad, as in PyTorch
   */
  public Tensor detachInPlace() {
    if (base != null && (base.requiresGrad || gradFn != null)) {
      throw new IllegalStateException("detach_: can't detach views in-place (view of shape " + shape()
          + " of base " + base.shape() + "); use detach() instead");
    }
    gradFn = null;
    requiresGrad = false;
    return this;
  }

  /**
   * Resizes this tensor in place to {@code sizes} ({@code resize_}): contiguous strides, the same
   * storage offset, the storage's elements from there in row-major order; the storage grows (new
   * elements zero) when too small and never shrinks. Returns {@code this}. See {@link Resizing}.
   *
   * @throws IllegalStateException if this tensor requires grad, as in PyTorch
   */
  public Tensor resizeInPlace(int... sizes) {
    return Resizing.resize(this, sizes);
  }

  /** Resizes this tensor in place to {@code other}'s shape ({@code resize_as_}); returns {@code this}. */
  public Tensor resizeAsInPlace(Tensor other) {
    return Resizing.resize(this, other.shapeArray());
  }

  /** Returns the sparse COO form ({@code to_sparse()}); see {@link dev.ember.sparse.SparseCooTensor#fromDense}. */
  public dev.ember.sparse.SparseCooTensor toSparse() {
    return dev.ember.sparse.SparseCooTensor.fromDense(this);
  }

  // ---------------------------------------------------------------- complex numbers (logic in
  // ops.ComplexOps; docs/guide.md, "Complex numbers")

  /** Returns whether the dtype is complex64 or complex128 ({@code is_complex}). */
  public boolean isComplex() {
    return dtype.isComplex();
  }

  /** Returns a complex tensor [...] viewed as real [..., 2], sharing storage ({@code torch.view_as_real}). */
  public static Tensor viewAsReal(Tensor complex) {
    return ComplexOps.viewAsReal(complex);
  }

  /** Returns a float32/float64 tensor [..., 2] viewed as complex [...] ({@code torch.view_as_complex}). */
  public static Tensor viewAsComplex(Tensor real) {
    return ComplexOps.viewAsComplex(real);
  }

  /** Returns {@code real + i imag} from two float32 or two float64 tensors, broadcasting ({@code torch.complex}). */
  public static Tensor complex(Tensor real, Tensor imag) {
    return ComplexOps.complex(real, imag);
  }

  /** Returns {@code abs * (cos(angle) + i sin(angle))}, broadcasting ({@code torch.polar}). */
  public static Tensor polar(Tensor abs, Tensor angle) {
    return ComplexOps.polar(abs, angle);
  }

  /** Returns the real part as a view ({@code x.real}); a real tensor returns itself. */
  public Tensor real() {
    return ComplexOps.real(this);
  }

  /** Returns the imaginary part of a complex tensor as a view ({@code x.imag}). */
  public Tensor imag() {
    return ComplexOps.imag(this);
  }

  /** Returns the complex conjugate ({@code conj}, a copy); a real tensor returns itself. */
  public Tensor conj() {
    return ComplexOps.conj(this);
  }

  /** Returns each element's angle in radians ({@code angle}): atan2(imag, real), or pi/0 for real. */
  public Tensor angle() {
    return ComplexOps.angle(this);
  }

  // ---------------------------------------------------------------- losses

  /** Returns the cross-entropy of logits {@code this} [N, C, ...] against int64 class targets. */
  public Tensor crossEntropy(Tensor target) {
    return Losses.crossEntropy(this, target, Losses.Options.defaults());
  }
}
