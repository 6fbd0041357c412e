package dev.ember;

import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * In-place ops through views under autograd, PyTorch's way ({@code CopySlices}).
 *
 * <p>A view made by a view op knows its base (the tensor it views, never itself a view; see {@link
 * Tensor#asStrided}) and where its elements sit in the base: its {@link Region}. An in-place op
 * on a view that is recorded rewrites the history of the base:
 *
 * <pre>
 *   base_new = base_old with region := result        (result = op(view_old, other))
 *   CopySlices(g): base_old gets g with the region zeroed, result gets the region of g
 * </pre>
 *
 * <p>{@code result}'s own graph reaches {@code view_old}, hence {@code base_old}, through the
 * view's old node, so {@code base_old}'s gradient is the sum of both paths. The view's grad_fn is
 * then derived again from the base's new history ({@code AsStridedBackward0}); so is every other
 * view of the base, lazily, when its storage version shows that the base or another view of it was
 * written since its grad_fn was made. Every map here is linear and recorded with its adjoint, so
 * gradients of gradients flow through a CopySlices.
 */
final class ViewHistory {
  /** Printed as PyTorch prints it: {@code <CopySlices>}, without a Backward suffix. */
  static final String COPY_SLICES = "CopySlices";

  private ViewHistory() {}

  /**
   * Where a view sits in its base: the base's shape and strides, the view's shape and strides, and
   * the view's offset from the base's first element, all in elements.
   */
  record Region(int[] baseShape, int[] baseStrides, int[] shape, int[] strides, long offset) {
    static Region of(Tensor base, Tensor view) {
      return new Region(base.shapeArray(), base.stridesArray(), view.shapeArray(), view.stridesArray(),
          view.storageOffset() - base.storageOffset());
    }

    /** Returns this region with its broadcast dims (stride 0, size above 1) cut to size 1. */
    Region storedOnce() {
      int[] cut = shape.clone();
      for (int d = 0; d < cut.length; d++) {
        if (strides[d] == 0) {
          cut[d] = Math.min(cut[d], 1);
        }
      }
      return new Region(baseShape, baseStrides, cut, strides, offset);
    }

    /** Returns the dims that a broadcast (stride 0, size above 1) repeats. */
    int[] broadcastDims() {
      return java.util.stream.IntStream.range(0, shape.length).filter(d -> strides[d] == 0 && shape[d] > 1).toArray();
    }
  }

  /**
   * Checks that an in-place op {@code name} may write into {@code self} with grad mode on, where
   * {@code inputsRequireGrad} says whether the op is recorded (self or another input requires
   * grad); raises with PyTorch's messages otherwise.
   */
  static void checkInPlace(String name, Tensor self, boolean inputsRequireGrad) {
    Tensor base = self.viewBase();
    // A view made under no_grad does not follow its base's requires_grad, but PyTorch's check does.
    boolean baseTracked = base != null && base.requiresGrad();
    if (!GradMode.isEnabled() || !(inputsRequireGrad || self.requiresGrad() || baseTracked)) {
      return;
    }
    if (self.sharesStorageAcrossDtypes()) {
      throw new IllegalStateException(name + ": in-place ops recorded by autograd are not supported on a "
          + self.dtype() + " tensor (shape " + self.shape() + ") whose storage is also viewed as another dtype by"
          + " viewAsReal/viewAsComplex; compute out of place, or write under GradMode.noGrad()");
    }
    if (base != null && self.viewMadeWithoutGrad()) {
      throw new IllegalStateException(name + ": A view was created in no_grad mode and is being modified inplace"
          + " with grad mode enabled (view of shape " + self.shape() + " of a base of shape " + base.shape()
          + "). Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your"
          + " code by moving both the view and the inplace either both inside the no_grad block (if you don't"
          + " want the inplace to be tracked) or both outside (if you want the inplace to be tracked).");
    }
    if (base != null && self.requiresGrad() && base.isLeaf()) {
      throw new IllegalStateException(name + ": a view of a leaf Variable that requires grad is being used in an"
          + " in-place operation (view of shape " + self.shape() + " of a leaf of shape " + base.shape()
          + "); wrap it in GradMode.noGrad() or write into a clone()");
    }
    if (self.isLeaf() && self.requiresGrad()) {
      throw new IllegalStateException(name + ": a leaf tensor that requires grad (shape " + self.shape()
          + ") is being used in an in-place operation; wrap it in GradMode.noGrad()");
    }
  }

  /**
   * Makes {@code self} take over the history of {@code result}, whose values an in-place op just
   * wrote into it. For a view, the base's history becomes a CopySlices and the view's is derived
   * from it again.
   */
  static void rebase(Tensor self, Tensor result) {
    Tensor base = self.viewBase();
    if (!GradMode.isEnabled() || !result.requiresGrad() || result.gradFn() == null) {
      return;
    }
    if (base == null || self.viewMadeWithoutGrad()) {
      self.setGradFn(result.gradFn());
      return;
    }
    Region region = Region.of(base, self);
    boolean baseTracked = base.requiresGrad();
    // The base is its own first input: the edge taken is its history before this write.
    Autograd.record(COPY_SLICES, base, new Tensor[] {base, result}, g -> new Tensor[] {
        baseTracked ? zeroRegion(g, region) : null, regionOf(g, region)});
    regenerate(self);
  }

  /**
   * Derives a view's grad_fn from its base's current history ({@code AsStridedBackward0}), after
   * the base or a view of it was written in place. Does nothing while the base does not require
   * grad and the view has no history, as in PyTorch.
   */
  static void regenerate(Tensor view) {
    Tensor base = view.viewBase();
    if (!base.requiresGrad()) {
      return;
    }
    Region region = Region.of(base, view);
    Region stored = region.storedOnce();
    if (!nonOverlapping(stored.shape(), stored.strides())) {
      throw new UnsupportedOperationException("autograd: cannot derive the history of a view of shape "
          + view.shape() + " and strides " + Arrays.toString(view.stridesArray()) + " whose elements overlap"
          + ", after its base (shape " + base.shape() + ") was modified in place; take the view again after"
          + " the in-place op");
    }
    Node node = new Node("as_strided", new Node[] {base.edgeNode()}, view,
        g -> new Tensor[] {scatter(g, region)}, null);
    view.setViewHistory(node);
  }

  // ---------------------------------------------------------------- the three linear maps, each recorded with its adjoint

  /** Returns the region of {@code g} (a tensor of the base's shape): a view, or a view of a copy in the base's layout. */
  static Tensor regionOf(Tensor g, Region r) {
    Tensor laid = inBaseLayout(g, r, false);
    Tensor out = laid.asStrided(r.shape(), r.strides(), laid.storageOffset() + r.offset());
    return Autograd.record("as_strided", out, new Tensor[] {g}, h -> new Tensor[] {scatter(h, r)});
  }

  /** Returns zeros of the base's shape with {@code g} (the region's shape) in the region; broadcast dims sum. */
  static Tensor scatter(Tensor g, Region r) {
    int[] repeated = r.broadcastDims();
    Tensor src = repeated.length == 0 ? g : g.sum(repeated, true);
    Region once = repeated.length == 0 ? r : r.storedOnce();
    Tensor out = emptyInBaseLayout(g.backend(), g.dtype(), once);
    Backend backend = g.backend();
    backend.fill(out.strided(), 0);
    backend.copy(src.strided(), regionStrided(out, once));
    return Autograd.record("as_strided_scatter", out, new Tensor[] {src}, h -> new Tensor[] {regionOf(h, once)});
  }

  /** Returns a copy of {@code g} (the base's shape) with the region set to zero. */
  static Tensor zeroRegion(Tensor g, Region r) {
    Tensor out = inBaseLayout(g, r, true);
    out.backend().fill(regionStrided(out, r), 0);
    return Autograd.record("zero_region", out, new Tensor[] {g}, h -> new Tensor[] {zeroRegion(h, r)});
  }

  // ---------------------------------------------------------------- layouts

  private static Strided regionStrided(Tensor laid, Region r) {
    Strided s = laid.strided();
    return new Strided(s.storage(), s.dtype(), r.shape(), r.strides(), s.offset() + r.offset());
  }

  /** Returns {@code g} if it has the base's strides (and {@code copy} is false), else a copy of it in that layout. */
  private static Tensor inBaseLayout(Tensor g, Region r, boolean copy) {
    if (!copy && Arrays.equals(g.stridesArray(), r.baseStrides())) {
      return g;
    }
    Tensor out = emptyInBaseLayout(g.backend(), g.dtype(), r);
    g.backend().copy(g.strided(), out.strided());
    return out;
  }

  /** Returns an uninitialized tensor of the base's shape and strides, in storage of its own. */
  private static Tensor emptyInBaseLayout(Backend backend, DType dtype, Region r) {
    if (dtype.isComplex()) {
      throw dev.ember.ops.ComplexOps.unsupported(dtype);
    }
    int[] shape = r.baseShape();
    int[] strides = r.baseStrides();
    long lo = 0;
    long hi = 0;
    boolean empty = false;
    for (int d = 0; d < shape.length; d++) {
      empty |= shape[d] == 0;
      long span = (long) Math.max(shape[d] - 1, 0) * strides[d];
      lo += Math.min(span, 0);
      hi += Math.max(span, 0);
    }
    long numel = empty ? 1 : hi - lo + 1;
    return Tensor.wrap(backend, new Strided(backend.allocate(dtype, numel), dtype, shape.clone(), strides.clone(),
        empty ? 0 : -lo));
  }

  /** Returns whether no two elements of a strided layout share a memory location. */
  private static boolean nonOverlapping(int[] shape, int[] strides) {
    Integer[] order = new Integer[shape.length];
    for (int d = 0; d < order.length; d++) {
      order[d] = d;
    }
    Arrays.sort(order, (a, b) -> Long.compare(Math.abs((long) strides[a]), Math.abs((long) strides[b])));
    long reach = 0;
    for (int d : order) {
      if (shape[d] <= 1) {
        continue;
      }
      if (Math.abs((long) strides[d]) <= reach) {
        return false;
      }
      reach += (long) (shape[d] - 1) * Math.abs((long) strides[d]);
    }
    return true;
  }
}
