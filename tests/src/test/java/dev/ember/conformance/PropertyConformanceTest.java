package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Device;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests over seeded random shapes: broadcasting, chains of views (and writes through
 * them), and Python-style indexing, each against a plain-Java reference that knows nothing of
 * strides. A failure prints the seed and the expression so it can be replayed.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class PropertyConformanceTest {
  private static final int TRIALS = 150;

  @Parameter
  Device device;

  // ------------------------------------------------------------------ reference helpers

  private static int[] randomShape(Random r, int maxRank, int maxSize) {
    int rank = 1 + r.nextInt(maxRank);
    int[] s = new int[rank];
    for (int i = 0; i < rank; i++) {
      s[i] = 1 + r.nextInt(maxSize);
    }
    return s;
  }

  private static int[] rowMajorStrides(int[] shape) {
    int[] st = new int[shape.length];
    int acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= shape[i];
    }
    return st;
  }

  /** Decomposes a flat row-major index into a multi-index. */
  private static int[] unravel(int flat, int[] shape) {
    int[] idx = new int[shape.length];
    for (int i = shape.length - 1; i >= 0; i--) {
      idx[i] = shape[i] == 0 ? 0 : flat % shape[i];
      flat = shape[i] == 0 ? 0 : flat / shape[i];
    }
    return idx;
  }

  private static double[] sequence(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = i + 1;
    }
    return v;
  }

  // ------------------------------------------------------------------ broadcasting

  @Test
  void broadcastingMatchesReference() {
    Random r = new Random(11);
    for (int trial = 0; trial < TRIALS; trial++) {
      int[] out = randomShape(r, 4, 4);
      int[] a = derive(r, out);
      int[] b = derive(r, out);
      int[] expectedShape = new int[Math.max(a.length, b.length)];
      for (int i = 0; i < expectedShape.length; i++) {
        int da = dimFromEnd(a, expectedShape.length - 1 - i);
        int db = dimFromEnd(b, expectedShape.length - 1 - i);
        expectedShape[i] = Math.max(da, db);
      }
      double[] av = Checks.normal(r, (int) Shape.numel(a));
      double[] bv = Checks.normal(r, (int) Shape.numel(b));
      Tensor ta = Tensor.of(av, a).to(device).requiresGrad(true);
      Tensor tb = Tensor.of(bv, b).to(device).requiresGrad(true);
      String what = "trial " + trial + ": " + Arrays.toString(a) + " and " + Arrays.toString(b);
      int n = (int) Shape.numel(expectedShape);
      double[] sum = new double[n];
      double[] prod = new double[n];
      double[] max = new double[n];
      double[] gradA = new double[av.length];
      double[] gradB = new double[bv.length];
      double[] w = Checks.normal(r, n);
      for (int k = 0; k < n; k++) {
        int[] idx = unravel(k, expectedShape);
        int ia = broadcastFlat(idx, a);
        int ib = broadcastFlat(idx, b);
        sum[k] = av[ia] + bv[ib];
        prod[k] = av[ia] * bv[ib];
        max[k] = Math.max(av[ia], bv[ib]);
        // d sum(w * a * b) / da = sum over broadcast copies of w * b.
        gradA[ia] += w[k] * bv[ib];
        gradB[ib] += w[k] * av[ia];
      }
      Checks.assertClose(sum, expectedShape, ta.add(tb), 1e-12);
      Checks.assertClose(prod, expectedShape, ta.mul(tb), 1e-12);
      Checks.assertClose(max, expectedShape, ta.maximum(tb), 1e-12);
      Tensor y = ta.mul(tb).mul(Tensor.of(w, expectedShape).to(device)).sum();
      y.backward();
      Checks.assertClose(gradA, a, ta.grad(), 1e-10);
      Checks.assertClose(gradB, b, tb.grad(), 1e-10);
      assertArrayEquals(a, ta.grad().shapeArray(), what);
    }
  }

  /** Returns a shape that broadcasts to {@code out}: some leading dims dropped, some dims set to 1. */
  private static int[] derive(Random r, int[] out) {
    int drop = r.nextInt(out.length + 1);
    int[] s = Arrays.copyOfRange(out, drop, out.length);
    for (int i = 0; i < s.length; i++) {
      if (r.nextInt(3) == 0) {
        s[i] = 1;
      }
    }
    return s;
  }

  private static int dimFromEnd(int[] shape, int fromEnd) {
    int i = shape.length - 1 - fromEnd;
    return i < 0 ? 1 : shape[i];
  }

  private static int broadcastFlat(int[] outIdx, int[] shape) {
    int lead = outIdx.length - shape.length;
    int flat = 0;
    for (int i = 0; i < shape.length; i++) {
      flat = flat * shape[i] + (shape[i] == 1 ? 0 : outIdx[lead + i]);
    }
    return flat;
  }

  // ------------------------------------------------------------------ matmul and reductions

  /** Returns a tensor with values {@code v} and shape {@code shape}, laid out at random. */
  private Tensor randomLayout(Random r, double[] v, int[] shape, StringBuilder how) {
    int kind = r.nextInt(3);
    if (kind == 1 && shape.length >= 2) {
      // Stored transposed in its last two dims, then viewed back.
      int rank = shape.length;
      int[] ts = shape.clone();
      ts[rank - 1] = shape[rank - 2];
      ts[rank - 2] = shape[rank - 1];
      double[] tv = new double[v.length];
      int rows = shape[rank - 2];
      int cols = shape[rank - 1];
      for (int b = 0; b < v.length / Math.max(1, rows * cols); b++) {
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            tv[b * rows * cols + j * rows + i] = v[b * rows * cols + i * cols + j];
          }
        }
      }
      how.append("T");
      return Tensor.of(tv, ts).to(device).transpose(rank - 2, rank - 1);
    }
    if (kind == 2) {
      // Every other element of a twice-as-long last dim.
      int rank = shape.length;
      int[] ws = shape.clone();
      ws[rank - 1] *= 2;
      double[] wv = new double[v.length * 2];
      for (int i = 0; i < v.length; i++) {
        wv[2 * i] = v[i];
        wv[2 * i + 1] = Double.NaN;
      }
      how.append("S");
      return Tensor.of(wv, ws).to(device).slice(rank - 1, 0, ws[rank - 1], 2);
    }
    how.append("C");
    return Tensor.of(v, shape).to(device);
  }

  @Test
  void matmulMatchesReferenceForAnyLayoutAndDtype() {
    Random r = new Random(15);
    for (int trial = 0; trial < TRIALS; trial++) {
      int m = 1 + r.nextInt(5);
      int k = 1 + r.nextInt(5);
      int n = 1 + r.nextInt(5);
      int batch = r.nextInt(3);
      int[] batchA = batch == 0 ? new int[0] : r.nextBoolean() ? new int[] {batch} : new int[] {1};
      int[] batchB = batch == 0 ? new int[0] : r.nextBoolean() ? new int[] {batch} : new int[] {1};
      if (batch > 0 && r.nextInt(3) == 0) {
        batchB = new int[0];
      }
      int[] as = concat(batchA, new int[] {m, k});
      int[] bs = concat(batchB, new int[] {k, n});
      double[] av = Checks.normal(r, (int) Shape.numel(as));
      double[] bv = Checks.normal(r, (int) Shape.numel(bs));
      StringBuilder how = new StringBuilder();
      Tensor a = randomLayout(r, av, as, how);
      Tensor b = randomLayout(r, bv, bs, how);
      dev.ember.DType dtype = r.nextBoolean() ? dev.ember.DType.FLOAT32 : dev.ember.DType.FLOAT64;
      Tensor y = a.to(dtype).matmul(b.to(dtype));
      int nb = Math.max(batchA.length == 0 ? 1 : batchA[0], batchB.length == 0 ? 1 : batchB[0]);
      int[] outShape = batchA.length == 0 && batchB.length == 0 ? new int[] {m, n} : new int[] {nb, m, n};
      double[] expected = new double[nb * m * n];
      for (int bi = 0; bi < nb; bi++) {
        int ao = batchA.length == 0 || batchA[0] == 1 ? 0 : bi * m * k;
        int bo = batchB.length == 0 || batchB[0] == 1 ? 0 : bi * k * n;
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int q = 0; q < k; q++) {
              acc += av[ao + i * k + q] * bv[bo + q * n + j];
            }
            expected[bi * m * n + i * n + j] = acc;
          }
        }
      }
      String what = "trial " + trial + ": " + Arrays.toString(as) + " @ " + Arrays.toString(bs) + " layouts "
          + how + " " + dtype;
      assertArrayEquals(outShape, y.shapeArray(), what);
      Checks.assertClose(expected, y.toDoubleArray(), dtype == dev.ember.DType.FLOAT32 ? 1e-5 : 1e-12, what);
    }
  }

  private static int[] concat(int[] x, int[] y) {
    int[] out = Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, out, x.length, y.length);
    return out;
  }

  @Test
  void reductionsMatchReferenceOnAnyLayout() {
    Random r = new Random(16);
    for (int trial = 0; trial < TRIALS; trial++) {
      int[] shape = randomShape(r, 3, 4);
      int rank = shape.length;
      double[] v = Checks.normal(r, (int) Shape.numel(shape));
      StringBuilder how = new StringBuilder();
      Tensor x = randomLayout(r, v, shape, how);
      int d = r.nextInt(rank);
      boolean keep = r.nextBoolean();
      int[] st = rowMajorStrides(shape);
      int[] outShape = shape.clone();
      outShape[d] = 1;
      int on = (int) Shape.numel(outShape);
      double[] sum = new double[on];
      double[] max = new double[on];
      double[] prod = new double[on];
      long[] argmax = new long[on];
      double[] cumsum = new double[v.length];
      Arrays.fill(max, Double.NEGATIVE_INFINITY);
      Arrays.fill(prod, 1);
      for (int o = 0; o < on; o++) {
        int[] idx = unravel(o, outShape);
        double running = 0;
        for (int i = 0; i < shape[d]; i++) {
          idx[d] = i;
          int flat = 0;
          for (int q = 0; q < rank; q++) {
            flat += idx[q] * st[q];
          }
          sum[o] += v[flat];
          prod[o] *= v[flat];
          if (v[flat] > max[o]) {
            max[o] = v[flat];
            argmax[o] = i;
          }
          running += v[flat];
          cumsum[flat] = running;
        }
      }
      int[] reduced = keep ? outShape : Arrays.stream(outShape).limit(0).toArray();
      if (!keep) {
        reduced = new int[rank - 1];
        for (int q = 0, j = 0; q < rank; q++) {
          if (q != d) {
            reduced[j++] = shape[q];
          }
        }
      }
      String what = "trial " + trial + ": " + Arrays.toString(shape) + " layout " + how + " dim " + d;
      Checks.assertClose(sum, reduced, x.sum(d, keep), 1e-12);
      Checks.assertClose(max, reduced, x.amax(d, keep), 0);
      Checks.assertClose(prod, reduced, x.prod(d, keep), 1e-12);
      Checks.assertClose(cumsum, shape, x.cumsum(d), 1e-12);
      double[] am = Arrays.stream(argmax).asDoubleStream().toArray();
      Checks.assertClose(am, reduced, x.argmax(d, keep), 0);
      Checks.assertClose(sum, reduced, x.to(dev.ember.DType.FLOAT32).sum(d, keep), 1e-5);
      assertEquals(Arrays.stream(v).sum(), x.sum().item(), 1e-12, what);
    }
  }

  // ------------------------------------------------------------------ views

  /** A reference view: the base's flat positions of the view's elements, row-major, and its shape. */
  private record RefView(int[] shape, int[] positions) {
    RefView map(int[] newShape, java.util.function.Function<int[], int[]> outToIn) {
      int n = (int) Shape.numel(newShape);
      int[] pos = new int[n];
      int[] st = rowMajorStrides(shape);
      for (int k = 0; k < n; k++) {
        int[] in = outToIn.apply(unravel(k, newShape));
        int flat = 0;
        for (int d = 0; d < in.length; d++) {
          flat += in[d] * st[d];
        }
        pos[k] = positions[flat];
      }
      return new RefView(newShape, pos);
    }
  }

  @Test
  void viewChainsMatchReferenceAndWriteThrough() {
    Random r = new Random(12);
    for (int trial = 0; trial < TRIALS; trial++) {
      int[] shape = randomShape(r, 4, 4);
      int n = (int) Shape.numel(shape);
      double[] baseValues = sequence(n);
      Tensor root = Tensor.of(baseValues, shape).to(device);
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      RefView ref = new RefView(shape, all);
      Tensor t = root;
      boolean view = true;
      boolean overlapping = false;
      StringBuilder expr = new StringBuilder("x" + Arrays.toString(shape));
      int steps = 1 + r.nextInt(4);
      for (int s = 0; s < steps; s++) {
        int rank = ref.shape().length;
        int op = r.nextInt(11);
        int[] cur = ref.shape();
        if (rank == 0 && op != 7) {
          op = 7;
        }
        switch (op) {
          case 0 -> { // permute
            int[] perm = shuffled(r, rank);
            t = t.permute(perm);
            expr.append(".permute").append(Arrays.toString(perm));
            ref = ref.map(permuted(cur, perm), o -> {
              int[] in = new int[rank];
              for (int i = 0; i < rank; i++) {
                in[perm[i]] = o[i];
              }
              return in;
            });
          }
          case 1 -> { // transpose
            int a = r.nextInt(rank);
            int b = r.nextInt(rank);
            int[] perm = identity(rank);
            perm[a] = b;
            perm[b] = a;
            t = t.transpose(a, b);
            expr.append(".transpose(").append(a).append(", ").append(b).append(")");
            ref = ref.map(permuted(cur, perm), o -> {
              int[] in = o.clone();
              in[a] = o[b];
              in[b] = o[a];
              return in;
            });
          }
          case 2 -> { // narrow
            int d = r.nextInt(rank);
            int start = r.nextInt(cur[d]);
            int len = 1 + r.nextInt(cur[d] - start);
            t = t.narrow(d, start, len);
            expr.append(".narrow(").append(d).append(", ").append(start).append(", ").append(len).append(")");
            int[] ns = cur.clone();
            ns[d] = len;
            ref = ref.map(ns, o -> {
              int[] in = o.clone();
              in[d] += start;
              return in;
            });
          }
          case 3 -> { // slice with step
            int d = r.nextInt(rank);
            int start = r.nextInt(cur[d]);
            int step = 1 + r.nextInt(3);
            int end = start + 1 + r.nextInt(cur[d] - start);
            t = t.slice(d, start, end, step);
            expr.append(".slice(").append(d).append(", ").append(start).append(", ").append(end).append(", ")
                .append(step).append(")");
            int[] ns = cur.clone();
            ns[d] = (end - start + step - 1) / step;
            ref = ref.map(ns, o -> {
              int[] in = o.clone();
              in[d] = start + o[d] * step;
              return in;
            });
          }
          case 4 -> { // select, negative indices too
            int d = r.nextInt(rank);
            int i = r.nextInt(cur[d]);
            int given = r.nextBoolean() ? i : i - cur[d];
            t = t.select(d, given);
            expr.append(".select(").append(d).append(", ").append(given).append(")");
            int[] ns = new int[rank - 1];
            for (int k = 0, j = 0; k < rank; k++) {
              if (k != d) {
                ns[j++] = cur[k];
              }
            }
            ref = ref.map(ns, o -> {
              int[] in = new int[rank];
              for (int k = 0, j = 0; k < rank; k++) {
                in[k] = k == d ? i : o[j++];
              }
              return in;
            });
          }
          case 5 -> { // expand a size-1 dim (after an unsqueeze so there is one)
            int d = r.nextInt(rank + 1);
            int size = 1 + r.nextInt(3);
            int[] ns = new int[rank + 1];
            for (int k = 0, j = 0; k <= rank; k++) {
              ns[k] = k == d ? size : cur[j++];
            }
            t = t.unsqueeze(d).expand(ns);
            expr.append(".unsqueeze(").append(d).append(").expand").append(Arrays.toString(ns));
            overlapping |= size > 1;
            ref = ref.map(ns, o -> {
              int[] in = new int[rank];
              for (int k = 0, j = 0; k <= rank; k++) {
                if (k != d) {
                  in[j++] = o[k];
                }
              }
              return in;
            });
          }
          case 6 -> { // unsqueeze
            int d = r.nextInt(rank + 1) - (r.nextBoolean() ? rank + 1 : 0);
            t = t.unsqueeze(d);
            expr.append(".unsqueeze(").append(d).append(")");
            int at = d < 0 ? d + rank + 1 : d;
            int[] ns = new int[rank + 1];
            for (int k = 0, j = 0; k <= rank; k++) {
              ns[k] = k == at ? 1 : cur[j++];
            }
            ref = new RefView(ns, ref.positions());
          }
          case 7 -> { // squeeze all, or unsqueeze when 0-d
            if (rank == 0) {
              t = t.unsqueeze(0);
              expr.append(".unsqueeze(0)");
              ref = new RefView(new int[] {1}, ref.positions());
            } else {
              t = t.squeeze();
              expr.append(".squeeze()");
              ref = new RefView(Arrays.stream(cur).filter(x -> x != 1).toArray(), ref.positions());
            }
          }
          case 8 -> { // flatten: a view when the input is contiguous
            boolean wasContiguous = t.isContiguous();
            Tensor owner = t.base() == null ? t : t.base();
            t = t.flatten();
            expr.append(".flatten()");
            ref = new RefView(new int[] {ref.positions().length}, ref.positions());
            if (wasContiguous) {
              assertSame(owner, t.base(), "flatten of a contiguous tensor must be a view: " + expr);
            }
          }
          case 9 -> { // view: must either succeed as a true view or refuse
            int[] ns = rank > 1 ? new int[] {-1, cur[rank - 1]} : new int[] {cur[0], 1};
            Tensor owner = t.base() == null ? t : t.base();
            try {
              t = t.view(ns);
              expr.append(".view").append(Arrays.toString(ns));
              assertSame(owner, t.base(), "view must share storage: " + expr);
            } catch (IllegalArgumentException e) {
              assertTrue(e.getMessage().startsWith("view:"), e.getMessage());
              t = t.reshape(ns);
              expr.append(".reshape").append(Arrays.toString(ns));
            }
            int[] resolved = ns[0] == -1 ? new int[] {ref.positions().length / cur[rank - 1], cur[rank - 1]} : ns;
            ref = new RefView(resolved, ref.positions());
          }
          default -> { // index with Integer and slices: basic indexing is a view
            int d = r.nextInt(rank);
            Object[] idx = new Object[d + 1];
            Arrays.fill(idx, Index.all());
            int step = 1 + r.nextInt(2);
            idx[d] = Index.slice(null, null, step);
            t = t.index(idx);
            expr.append(".index(..., ::").append(step).append(" at dim ").append(d).append(")");
            int[] ns = cur.clone();
            ns[d] = (cur[d] + step - 1) / step;
            ref = ref.map(ns, o -> {
              int[] in = o.clone();
              in[d] = o[d] * step;
              return in;
            });
          }
        }
        view &= t.base() == root || t == root;
      }
      String what = "trial " + trial + ": " + expr;
      assertArrayEquals(ref.shape(), t.shapeArray(), what);
      double[] expected = new double[ref.positions().length];
      for (int k = 0; k < expected.length; k++) {
        expected[k] = baseValues[ref.positions()[k]];
      }
      Checks.assertClose(expected, t.toDoubleArray(), 0, what);
      if (view && !overlapping && expected.length > 0) {
        double[] fresh = new double[expected.length];
        for (int k = 0; k < fresh.length; k++) {
          fresh[k] = -(k + 1);
        }
        t.copyInPlace(Tensor.of(fresh, t.shapeArray()).to(device));
        double[] now = root.toDoubleArray();
        double[] want = baseValues.clone();
        for (int k = 0; k < fresh.length; k++) {
          want[ref.positions()[k]] = fresh[k];
        }
        Checks.assertClose(want, now, 0, "write through " + what);
        assertTrue(root.version() > 0, "a write through a view bumps the base's version: " + what);
      }
    }
  }

  private static int[] identity(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    return p;
  }

  private static int[] shuffled(Random r, int n) {
    int[] p = identity(n);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  private static int[] permuted(int[] shape, int[] perm) {
    int[] s = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      s[i] = shape[perm[i]];
    }
    return s;
  }

  // ------------------------------------------------------------------ indexing

  /** One resolved index entry of the reference. */
  private sealed interface Entry permits IntE, SliceE, NewE, ArrayE {}

  private record IntE(int i) implements Entry {}

  private record SliceE(int start, int length, int step) implements Entry {}

  private record NewE() implements Entry {}

  private record ArrayE(long[] idx) implements Entry {}

  @Test
  void basicAndAdvancedIndexingMatchReference() {
    Random r = new Random(13);
    for (int trial = 0; trial < TRIALS * 2; trial++) {
      int[] shape = randomShape(r, 4, 5);
      int rank = shape.length;
      int n = (int) Shape.numel(shape);
      double[] values = sequence(n);
      Tensor x = Tensor.of(values, shape).to(device);
      boolean useArray = r.nextInt(3) == 0;
      int arrayDim = useArray ? r.nextInt(rank) : -1;
      boolean useEllipsis = r.nextBoolean();
      int consumed = useEllipsis ? r.nextInt(rank + 1) : rank;
      if (useEllipsis && useArray) {
        consumed = Math.max(consumed, arrayDim + 1);
      }
      int ellipsisAt = useEllipsis ? r.nextInt(consumed + 1) : -1;
      List<Object> indices = new ArrayList<>();
      List<Entry> entries = new ArrayList<>();
      StringBuilder expr = new StringBuilder("x" + Arrays.toString(shape) + "[");
      int dim = 0;
      for (int k = 0; k < consumed; k++) {
        if (k == ellipsisAt) {
          indices.add(Index.ELLIPSIS);
          expr.append("..., ");
          int skipped = rank - consumed;
          for (int j = 0; j < skipped; j++) {
            entries.add(new SliceE(0, shape[dim], 1));
            dim++;
          }
        }
        if (r.nextInt(6) == 0) {
          indices.add(Index.NEW_AXIS);
          entries.add(new NewE());
          expr.append("None, ");
        }
        int size = shape[dim];
        // The array index, if any, replaces the entry for the dim arrayDim counted after the ellipsis.
        if (dim == arrayDim && useArray) {
          int len = 1 + r.nextInt(4);
          long[] idx = new long[len];
          for (int j = 0; j < len; j++) {
            idx[j] = r.nextInt(2 * size) - size;
          }
          indices.add(Tensor.of(idx).to(device));
          entries.add(new ArrayE(idx));
          expr.append(Arrays.toString(idx)).append(", ");
          useArray = false;
        } else if (r.nextInt(3) == 0 && !(arrayDim >= 0)) {
          int i = r.nextInt(2 * size) - size;
          indices.add(i);
          entries.add(new IntE(i < 0 ? i + size : i));
          expr.append(i).append(", ");
        } else {
          Integer start = r.nextBoolean() ? null : r.nextInt(2 * size + 3) - size - 1;
          Integer end = r.nextBoolean() ? null : r.nextInt(2 * size + 3) - size - 1;
          int step = 1 + r.nextInt(3);
          indices.add(Index.slice(start, end, step));
          entries.add(pythonSlice(start, end, step, size));
          expr.append(start == null ? "" : start).append(":").append(end == null ? "" : end).append(":")
              .append(step).append(", ");
        }
        dim++;
      }
      if (ellipsisAt == consumed) {
        indices.add(Index.ELLIPSIS);
        expr.append("...");
        for (; dim < rank; dim++) {
          entries.add(new SliceE(0, shape[dim], 1));
        }
      }
      for (; dim < rank; dim++) {
        entries.add(new SliceE(0, shape[dim], 1));
      }
      expr.append("]");
      String what = "trial " + trial + ": " + expr;
      // Reference: output dims in entry order; an int consumes a dim, None adds one.
      List<Integer> outShape = new ArrayList<>();
      for (Entry e : entries) {
        if (e instanceof SliceE s) {
          outShape.add(s.length());
        } else if (e instanceof NewE) {
          outShape.add(1);
        } else if (e instanceof ArrayE a) {
          outShape.add(a.idx().length);
        }
      }
      int[] os = outShape.stream().mapToInt(Integer::intValue).toArray();
      int count = (int) Shape.numel(os);
      double[] expected = new double[count];
      int[] st = rowMajorStrides(shape);
      for (int k = 0; k < count; k++) {
        int[] o = unravel(k, os);
        int flat = 0;
        int od = 0;
        int id = 0;
        for (Entry e : entries) {
          if (e instanceof NewE) {
            od++;
          } else if (e instanceof IntE ie) {
            flat += ie.i() * st[id++];
          } else if (e instanceof SliceE s) {
            flat += (s.start() + o[od++] * s.step()) * st[id++];
          } else if (e instanceof ArrayE a) {
            long v = a.idx()[o[od++]];
            flat += (int) (v < 0 ? v + shape[id] : v) * st[id];
            id++;
          }
        }
        expected[k] = values[flat];
      }
      Tensor y = x.index(indices.toArray());
      assertArrayEquals(os, y.shapeArray(), what + " gave shape " + y.shape());
      Checks.assertClose(expected, y.toDoubleArray(), 0, what);
    }
  }

  private static SliceE pythonSlice(Integer start, Integer end, int step, int size) {
    int s = start == null ? 0 : start < 0 ? Math.max(start + size, 0) : Math.min(start, size);
    int e = end == null ? size : end < 0 ? Math.max(end + size, 0) : Math.min(end, size);
    int len = e <= s ? 0 : (e - s + step - 1) / step;
    return new SliceE(s, len, step);
  }

  @Test
  void indexPutWithRepeatedIndicesWritesOneOfTheValues() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).to(device);
    x.indexPut(Tensor.scalar(5, dev.ember.DType.FLOAT64).to(device), Tensor.of(new long[] {0, 2, 0}).to(device));
    Checks.assertClose(new double[] {5, 2, 5}, x.toDoubleArray(), 0, "x[[0, 2, 0]] = 5");
    Tensor y = Tensor.of(new double[] {1, 2, 3}).to(device);
    y.indexPut(Tensor.of(new double[] {7, 8}).to(device), Tensor.of(new long[] {1, 1}).to(device));
    double v = y.toDoubleArray()[1];
    assertTrue(v == 7 || v == 8, "a repeated position holds one of the written values, got " + v);
  }

  @Test
  void booleanMasksSelectInRowMajorOrder() {
    Random r = new Random(14);
    for (int trial = 0; trial < TRIALS; trial++) {
      int[] shape = randomShape(r, 3, 4);
      int maskRank = 1 + r.nextInt(shape.length);
      int[] maskShape = Arrays.copyOf(shape, maskRank);
      int mn = (int) Shape.numel(maskShape);
      boolean[] mask = new boolean[mn];
      for (int i = 0; i < mn; i++) {
        mask[i] = r.nextBoolean();
      }
      int n = (int) Shape.numel(shape);
      double[] values = sequence(n);
      Tensor x = Tensor.of(values, shape).to(device);
      Tensor y = x.index(Tensor.of(mask, maskShape).to(device));
      int inner = n / mn;
      List<Double> expected = new ArrayList<>();
      int selected = 0;
      for (int i = 0; i < mn; i++) {
        if (mask[i]) {
          selected++;
          for (int j = 0; j < inner; j++) {
            expected.add(values[i * inner + j]);
          }
        }
      }
      int[] expectedShape = new int[1 + shape.length - maskRank];
      expectedShape[0] = selected;
      System.arraycopy(shape, maskRank, expectedShape, 1, shape.length - maskRank);
      String what = "trial " + trial + ": x" + Arrays.toString(shape) + "[mask" + Arrays.toString(maskShape) + "]";
      assertArrayEquals(expectedShape, y.shapeArray(), what);
      Checks.assertClose(expected.stream().mapToDouble(Double::doubleValue).toArray(), y.toDoubleArray(), 0, what);
      // And the masked assignment writes exactly those elements.
      Tensor z = Tensor.of(values, shape).to(device);
      z.indexPut(Tensor.scalar(0, dev.ember.DType.FLOAT64).to(device), Tensor.of(mask, maskShape).to(device));
      double[] zv = z.toDoubleArray();
      for (int i = 0; i < n; i++) {
        assertEquals(mask[i / inner] ? 0 : values[i], zv[i], what + " index_put at " + i);
      }
    }
  }
}
