package dev.ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.DType;
import dev.ember.internal.Philox;
import dev.ember.spi.BackendException;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every backend op against a plain-Java reference (the jcuda-samples oracle pattern). Needs a CUDA
 * device; elsewhere every test is skipped with the reason printed.
 */
class CudaBackendGpuTest {
  private static CudaBackend backend;
  private static String info;

  @BeforeAll
  static void open() throws Exception {
    info = Cuda.info();
    System.out.println("CudaBackendGpuTest: " + info);
    if (Cuda.isAvailable()) {
      backend = Cuda.backend(0);
    }
  }

  @BeforeEach
  void needsDevice() {
    assumeTrue(backend != null, () -> "skipping GPU test: " + info);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static Strided upload(DType dtype, double[] data, int... shape) {
    Storage s = backend.allocate(dtype, data.length);
    ByteBuffer buf = ByteBuffer.allocate(data.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : data) {
      switch (dtype) {
        case FLOAT32 -> buf.putFloat((float) v);
        case FLOAT64 -> buf.putDouble(v);
        case INT64 -> buf.putLong((long) v);
        case INT32 -> buf.putInt((int) v);
        case BOOL -> buf.put((byte) (v != 0 ? 1 : 0));
      }
    }
    buf.flip();
    backend.copyFromHost(buf, s);
    return Strided.contiguous(s, shape);
  }

  private static Strided empty(DType dtype, int... shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Strided.contiguous(backend.allocate(dtype, n), shape);
  }

  /** Reads a view's elements in row-major order of its shape. */
  private static double[] values(Strided s) {
    CudaStorage st = (CudaStorage) s.storage();
    ByteBuffer buf = ByteBuffer.allocate((int) st.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    backend.copyToHost(st, buf);
    int n = (int) s.numel();
    double[] out = new double[n];
    int[] idx = new int[s.rank()];
    for (int i = 0; i < n; i++) {
      long off = s.offset();
      for (int d = 0; d < idx.length; d++) {
        off += (long) idx[d] * s.strides()[d];
      }
      int at = (int) off * s.dtype().byteSize();
      out[i] = switch (s.dtype()) {
        case FLOAT32 -> buf.getFloat(at);
        case FLOAT64 -> buf.getDouble(at);
        case INT64 -> buf.getLong(at);
        case INT32 -> buf.getInt(at);
        case BOOL -> buf.get(at);
        case FLOAT16, BFLOAT16 -> throw new AssertionError("read " + s.dtype() + " through a float64 copy");
        case COMPLEX64, COMPLEX128 -> throw new AssertionError("complex never reaches a backend");
      };
      for (int d = idx.length - 1; d >= 0 && ++idx[d] == s.shape()[d]; d--) {
        idx[d] = 0;
      }
    }
    return out;
  }

  private static Strided view(Strided s, int[] shape, int[] strides, long offset) {
    return new Strided(s.storage(), s.dtype(), shape, strides, offset);
  }

  private static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      double a = actual[i];
      boolean ok = (Double.isNaN(e) && Double.isNaN(a)) || e == a
          || Math.abs(e - a) <= tol * Math.max(1, Math.abs(e));
      assertTrue(ok, what + ": element " + i + " expected " + e + " but was " + a);
    }
  }

  private static double erf(double x) {
    // Maclaurin series; converges to double precision for the |x| < 3 used here.
    double sum = 0;
    double term = x;
    for (int n = 0; n < 100; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  private static double unaryRef(UnaryOp op, double x) {
    return switch (op) {
      case NEG -> -x;
      case ABS -> Math.abs(x);
      case SIGN -> Math.signum(x);
      case EXP -> Math.exp(x);
      case EXPM1 -> Math.expm1(x);
      case LOG -> Math.log(x);
      case LOG1P -> Math.log1p(x);
      case SQRT -> Math.sqrt(x);
      case RSQRT -> 1 / Math.sqrt(x);
      case RECIPROCAL -> 1 / x;
      case SIN -> Math.sin(x);
      case COS -> Math.cos(x);
      case TANH -> Math.tanh(x);
      case SIGMOID -> 1 / (1 + Math.exp(-x));
      case RELU -> Math.max(x, 0);
      case ERF -> erf(x);
      case FLOOR -> Math.floor(x);
      case CEIL -> Math.ceil(x);
      case ROUND -> Math.rint(x);
      case LOGICAL_NOT -> x == 0 ? 1 : 0;
      case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
      case GELU_GRAD -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      case GELU_TANH_GRAD -> {
        double k0 = Math.sqrt(2 / Math.PI);
        double t = Math.tanh(k0 * (x + 0.044715 * x * x * x));
        yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k0 * (1 + 3 * 0.044715 * x * x);
      }
    };
  }

  private static double binaryRef(BinaryOp op, double a, double b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> Math.pow(a, b);
      case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
      case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
      case FMOD -> a % b;
      case EQ -> a == b ? 1 : 0;
      case NE -> a != b ? 1 : 0;
      case LT -> a < b ? 1 : 0;
      case LE -> a <= b ? 1 : 0;
      case GT -> a > b ? 1 : 0;
      case GE -> a >= b ? 1 : 0;
      case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
      case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
      case LOGICAL_XOR -> (a != 0) != (b != 0) ? 1 : 0;
    };
  }

  // ---- transfers ----------------------------------------------------------------------------

  @Test
  void roundTripsSmallAndChunkedTransfersWithoutMovingPositions() {
    double[] small = {1, -2.5, 3e7, Double.MIN_VALUE};
    assertArrayEquals(small, values(upload(DType.FLOAT64, small, 4)));
    int n = 3_000_123;  // 24 MB of float64: several pinned chunks
    double[] big = new double[n];
    for (int i = 0; i < n; i++) {
      big[i] = i * 0.5 - 7;
    }
    Strided s = upload(DType.FLOAT64, big, n);
    ByteBuffer direct = ByteBuffer.allocateDirect(8 * n + 16).order(ByteOrder.LITTLE_ENDIAN);
    direct.position(16);
    backend.copyToHost(s.storage(), direct);
    assertEquals(16, direct.position());
    for (int i = 0; i < n; i += 9973) {
      assertEquals(big[i], direct.getDouble(16 + 8 * i), "element " + i);
    }
    assertEquals(big[n - 1], direct.getDouble(16 + 8 * (n - 1)));
  }

  // ---- elementwise --------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(UnaryOp.class)
  void unaryMatchesJavaInFloat32AndFloat64(UnaryOp op) {
    boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
    double[] x = positive ? new double[] {0.25, 0.5, 1.5, 2.5, 3, 9}
        : new double[] {-2.5, -0.3, 0, 0.5, 1.5, 2.5};
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      // Read the input through a transposed view so the strided path runs too.
      Strided in = upload(dt, x, 2, 3);
      Strided t = view(in, new int[] {3, 2}, new int[] {1, 3}, 0);
      DType outType = op == UnaryOp.LOGICAL_NOT ? DType.BOOL : dt;
      Strided out = empty(outType, 3, 2);
      backend.unary(op, t, out);
      double[] tx = values(t);
      double[] expected = new double[tx.length];
      for (int i = 0; i < tx.length; i++) {
        double v = dt == DType.FLOAT32 ? (float) tx[i] : tx[i];
        expected[i] = unaryRef(op, v);
      }
      assertClose(expected, values(out), dt == DType.FLOAT32 ? 2e-6 : 1e-13, op + " " + dt);
    }
  }

  @Test
  void integerUnaryOpsStayExact() {
    double big = -(double) (1L << 53);  // exact in int64 and in double
    Strided x = upload(DType.INT64, new double[] {-3, 0, 5, big}, 4);
    Strided out = empty(DType.INT64, 4);
    backend.unary(UnaryOp.ABS, x, out);
    assertArrayEquals(new double[] {3, 0, 5, -big}, values(out));
    backend.unary(UnaryOp.SIGN, x, out);
    assertArrayEquals(new double[] {-1, 0, 1, -1}, values(out));
    backend.unary(UnaryOp.RELU, x, out);
    assertArrayEquals(new double[] {0, 0, 5, 0}, values(out));
  }

  @ParameterizedTest
  @EnumSource(BinaryOp.class)
  void binaryBroadcastsAStrideZeroOperand(BinaryOp op) {
    double[] a = {1.5, -2, 0, 3, 0.5, 4, -1, 2, 7, 0.25, 9, -3};
    double[] b = {2, 0.5, -1, 3};
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Strided sa = upload(dt, a, 3, 4);
      Strided sb = view(upload(dt, b, 4), new int[] {3, 4}, new int[] {0, 1}, 0);
      Strided out = empty(op.isPredicate() ? DType.BOOL : dt, 3, 4);
      backend.binary(op, sa, sb, out);
      double[] expected = new double[12];
      for (int i = 0; i < 12; i++) {
        expected[i] = binaryRef(op, a[i], b[i % 4]);
        if (dt == DType.FLOAT32 && !op.isPredicate()) {
          expected[i] = (float) expected[i];
        }
      }
      assertClose(expected, values(out), dt == DType.FLOAT32 ? 1e-6 : 1e-14, op + " " + dt);
    }
  }

  @Test
  void integerDivisionTruncatesAndMaximumPropagatesNaN() {
    Strided a = upload(DType.INT64, new double[] {-7, 7, 9, 2}, 4);
    Strided b = upload(DType.INT64, new double[] {2, -2, 3, 10}, 4);
    Strided out = empty(DType.INT64, 4);
    backend.binary(BinaryOp.DIV, a, b, out);
    assertArrayEquals(new double[] {-3, -3, 3, 0}, values(out));
    backend.binary(BinaryOp.POW, a, b, out);
    assertArrayEquals(new double[] {49, 0, 729, 1024}, values(out));
    Strided fa = upload(DType.FLOAT32, new double[] {Double.NaN, 1}, 2);
    Strided fb = upload(DType.FLOAT32, new double[] {0, Double.NaN}, 2);
    Strided fo = empty(DType.FLOAT32, 2);
    backend.binary(BinaryOp.MAXIMUM, fa, fb, fo);
    assertTrue(Double.isNaN(values(fo)[0]) && Double.isNaN(values(fo)[1]));
  }

  /** The dtypes with arithmetic kernels: float16 and bfloat16 have copy and fill kernels only. */
  private static final DType[] CUDA_DTYPES = java.util.Arrays.stream(DType.values())
      .filter(t -> !t.isHalf() && !t.isComplex()).toArray(DType[]::new);

  @Test
  void halfCopiesAndFillsRoundAsTheCpu() {
    // Nearest-even at a tie (1 + 2^-11 -> 1), overflow (65520 -> inf), subnormals (2^-24), NaN.
    double[] x = {1 + 0x1p-11, 1 + 3 * 0x1p-11, 65519, 65520, 0x1p-24, 0x1p-26, -2.5, Double.NaN};
    double[] half = {1, 1 + 4 * 0x1p-11, 65504, Double.POSITIVE_INFINITY, 0x1p-24, 0, -2.5, Double.NaN};
    double[] bfloat = {1, 1, 65536, 65536, 0x1p-24, 0x1p-26, -2.5, Double.NaN};
    for (DType t : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
      Strided h = empty(t, 8);
      backend.copy(upload(DType.FLOAT32, x, 8), h);
      Strided back = empty(DType.FLOAT64, 8);
      backend.copy(h, back);
      assertArrayEquals(t == DType.FLOAT16 ? half : bfloat, values(back), t.toString());
      backend.fill(h, 0.1);
      backend.copy(h, back);
      assertEquals(t == DType.FLOAT16 ? 0.0999755859375 : 0.10009765625, values(back)[3], t.toString());
    }
  }

  @Test
  void copyConvertsBetweenEveryPairOfDTypes() {
    double[] x = {0, 1, -2, 3.75};
    for (DType from : CUDA_DTYPES) {
      Strided src = upload(from, x, 4);
      double[] stored = values(src);
      for (DType to : CUDA_DTYPES) {
        Strided out = empty(to, 4);
        backend.copy(src, out);
        double[] expected = new double[4];
        for (int i = 0; i < 4; i++) {
          double v = stored[i];
          expected[i] = switch (to) {
            case BOOL -> v != 0 ? 1 : 0;
            case INT64, INT32 -> (long) v;
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case FLOAT16, BFLOAT16, COMPLEX64, COMPLEX128 -> throw new AssertionError("not among CUDA_DTYPES: " + to);
          };
        }
        assertArrayEquals(expected, values(out), from + " -> " + to);
      }
    }
  }

  @Test
  void copyOfATransposedViewIsContiguous() {
    Strided src = upload(DType.FLOAT32, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Strided out = empty(DType.FLOAT32, 3, 2);
    backend.copy(view(src, new int[] {3, 2}, new int[] {1, 3}, 0), out);
    assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, values(out));
  }

  @Test
  void fillAndWhere() {
    Strided a = empty(DType.INT32, 2, 3);
    backend.fill(a, 7);
    assertArrayEquals(new double[] {7, 7, 7, 7, 7, 7}, values(a));
    Strided b = empty(DType.INT32, 2, 3);
    backend.fill(view(b, new int[] {2, 3}, new int[] {3, 1}, 0), -1);
    Strided cond = upload(DType.BOOL, new double[] {1, 0, 1}, 3);
    Strided condB = view(cond, new int[] {2, 3}, new int[] {0, 1}, 0);
    Strided out = empty(DType.INT32, 2, 3);
    backend.where(condB, a, b, out);
    assertArrayEquals(new double[] {7, -1, 7, 7, -1, 7}, values(out));
  }

  // ---- reductions and scans -------------------------------------------------------------------

  @Test
  void reduceOverOneAndSeveralDims() {
    Random r = new Random(1);
    double[] x = new double[2 * 3 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.round(r.nextGaussian() * 100) / 10.0;
    }
    Strided sx = upload(DType.FLOAT64, x, 2, 3, 4);
    for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MAX, ReduceOp.MIN}) {
      Strided out = empty(DType.FLOAT64, 1, 3, 1);
      backend.reduce(op, sx, out);
      double[] expected = new double[3];
      for (int j = 0; j < 3; j++) {
        double acc = op == ReduceOp.SUM ? 0 : op == ReduceOp.PROD ? 1
            : op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        for (int i = 0; i < 2; i++) {
          for (int k = 0; k < 4; k++) {
            double v = x[i * 12 + j * 4 + k];
            acc = switch (op) {
              case SUM -> acc + v;
              case PROD -> acc * v;
              case MAX -> Math.max(acc, v);
              default -> Math.min(acc, v);
            };
          }
        }
        expected[j] = acc;
      }
      assertClose(expected, values(out), 1e-12, op.toString());
    }
  }

  @Test
  void argMaxPrefersTheFirstMaximumAndNaN() {
    Strided x = upload(DType.FLOAT32, new double[] {1, 5, 5, 2, 3, Double.NaN, 9, 0}, 2, 4);
    Strided out = empty(DType.INT64, 2, 1);
    backend.reduce(ReduceOp.ARGMAX, x, out);
    assertArrayEquals(new double[] {1, 1}, values(out));
    backend.reduce(ReduceOp.ARGMIN, x, out);
    assertArrayEquals(new double[] {0, 1}, values(out));
    Strided col = empty(DType.INT64, 1, 4);
    backend.reduce(ReduceOp.ARGMAX, x, col);
    assertArrayEquals(new double[] {1, 1, 1, 0}, values(col));
  }

  @Test
  void largeFloat32SumAccumulatesInDouble() {
    int n = 1 << 24;  // float32 accumulation would stall at 2^24
    Strided x = empty(DType.FLOAT32, n + 1000);
    backend.fill(x, 1);
    Strided out = empty(DType.FLOAT32, 1);
    backend.reduce(ReduceOp.SUM, x, out);
    assertEquals(n + 1000, values(out)[0]);
  }

  @Test
  void cumsumAlongEitherDim() {
    Strided x = upload(DType.INT64, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Strided out = empty(DType.INT64, 2, 3);
    backend.cumsum(x, 1, out);
    assertArrayEquals(new double[] {1, 3, 6, 4, 9, 15}, values(out));
    backend.cumsum(x, 0, out);
    assertArrayEquals(new double[] {1, 2, 3, 5, 7, 9}, values(out));
  }

  @Test
  void gatherAndScatterAddAlongDim1() {
    Strided x = upload(DType.FLOAT32, new double[] {10, 11, 12, 20, 21, 22}, 2, 3);
    Strided index = upload(DType.INT64, new double[] {2, 0, 1, 1}, 2, 2);
    Strided out = empty(DType.FLOAT32, 2, 2);
    backend.gather(x, 1, index, out);
    assertArrayEquals(new double[] {12, 10, 21, 21}, values(out));
    Strided acc = empty(DType.FLOAT32, 2, 3);
    backend.fill(acc, 0);
    backend.scatterAdd(upload(DType.FLOAT32, new double[] {1, 2, 3, 4}, 2, 2), 1, index, acc);
    assertArrayEquals(new double[] {2, 0, 1, 0, 7, 0}, values(acc));
  }

  // ---- random, softmax, matmul --------------------------------------------------------------

  @Test
  void uniformReproducesPhiloxBitForBitInRowMajorOrderOfTheOutput() {
    long seed = 0x1234_5678_9ABCL;
    long offset = (1L << 32) - 3;  // crosses the counter's word boundary
    Strided f = empty(DType.FLOAT32, 40, 50);
    Strided ft = view(f, new int[] {50, 40}, new int[] {1, 50}, 0);  // transposed out
    backend.uniform(seed, offset, ft);
    double[] got = values(ft);
    for (int i = 0; i < got.length; i++) {
      assertEquals(Philox.uniformFloat(seed, offset + i), (float) got[i], "float32 element " + i);
    }
    Strided d = empty(DType.FLOAT64, 999);
    backend.uniform(seed, 7, d);
    double[] gd = values(d);
    for (int i = 0; i < gd.length; i++) {
      assertEquals(Philox.uniformDouble(seed, 7 + i), gd[i], "float64 element " + i);
    }
  }

  @Test
  void softmaxAndLogSoftmaxAreStable() {
    int rows = 5;
    int cols = 1000;
    double[] x = new double[rows * cols];
    Random r = new Random(2);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian() * 10 + (i < cols ? 1000 : 0);  // row 0 would overflow e^x
    }
    for (boolean log : new boolean[] {false, true}) {
      Strided sx = upload(DType.FLOAT32, x, rows, cols);
      Strided out = empty(DType.FLOAT32, rows, cols);
      assertTrue(backend.softmax(sx, log, out));
      double[] xs = values(sx);
      double[] expected = new double[x.length];
      for (int i = 0; i < rows; i++) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
          m = Math.max(m, xs[i * cols + j]);
        }
        double sum = 0;
        for (int j = 0; j < cols; j++) {
          sum += Math.exp(xs[i * cols + j] - m);
        }
        for (int j = 0; j < cols; j++) {
          double z = xs[i * cols + j] - m;
          expected[i * cols + j] = log ? z - Math.log(sum) : Math.exp(z) / sum;
        }
      }
      assertClose(expected, values(out), 1e-5, log ? "logSoftmax" : "softmax");
    }
  }

  private static double[] matmulRef(Strided a, Strided b) {
    double[] av = values(a);
    double[] bv = values(b);
    int batch = a.shape()[0];
    int m = a.shape()[1];
    int k = a.shape()[2];
    int n = b.shape()[2];
    double[] c = new double[batch * m * n];
    for (int z = 0; z < batch; z++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int l = 0; l < k; l++) {
            s += av[z * m * k + i * k + l] * bv[z * k * n + l * n + j];
          }
          c[z * m * n + i * n + j] = s;
        }
      }
    }
    return c;
  }

  private static double[] random(int n, long seed) {
    Random r = new Random(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextDouble() * 2 - 1;
    }
    return x;
  }

  @Test
  void matmulMatchesJavaForPlainTransposedBroadcastAndGappedOperands() {
    System.out.println("matmul path: " + backend.matmulPath());
    int batch = 2;
    int m = 65;
    int k = 70;
    int n = 33;
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      double tol = dt == DType.FLOAT32 ? 1e-4 : 1e-12;
      Strided a = upload(dt, random(batch * m * k, 3), batch, m, k);
      Strided b = upload(dt, random(batch * k * n, 4), batch, k, n);
      Strided out = empty(dt, batch, m, n);
      backend.matmul(a, b, out);
      assertClose(matmulRef(a, b), values(out), tol, "plain " + dt);

      // b stored as [batch, n, k] and read transposed; a broadcast over the batch (stride 0).
      Strided bt = upload(dt, random(batch * n * k, 5), batch, n, k);
      Strided btView = view(bt, new int[] {batch, k, n}, new int[] {n * k, 1, k}, 0);
      Strided aBcast = view(a, new int[] {batch, m, k}, new int[] {0, k, 1}, 0);
      backend.matmul(aBcast, btView, out);
      assertClose(matmulRef(aBcast, btView), values(out), tol, "transposed/broadcast " + dt);

      // Every other column of a wider matrix: no unit stride, so the GEMM kernel runs.
      Strided wide = upload(dt, random(batch * m * 2 * k, 6), batch, m, 2 * k);
      Strided gapped = view(wide, new int[] {batch, m, k}, new int[] {m * 2 * k, 2 * k, 2}, 1);
      backend.matmul(gapped, b, out);
      assertClose(matmulRef(gapped, b), values(out), tol, "gapped " + dt);
    }
  }

  // ---- memory -------------------------------------------------------------------------------

  /**
   * Uses a private allocator, so storages of other tests that the Cleaner frees meanwhile cannot
   * change the counts. backend.synchronize() makes the context current on this thread.
   */
  @Test
  void allocatorReusesClosedBlocksAndEmptiesItsCache() {
    backend.synchronize();
    CudaAllocator alloc = new CudaAllocator();
    long size = CudaAllocator.sizeClass(12L << 20);
    CudaStorage s = new CudaStorage(alloc, DType.FLOAT32, 3 << 20);  // 12 MiB
    assertEquals(new MemoryStats(size, size, size), alloc.stats());
    s.close();
    s.close();  // idempotent
    assertTrue(s.isClosed());
    assertEquals(new MemoryStats(0, size, size), alloc.stats(), "kept for reuse");
    CudaStorage again = new CudaStorage(alloc, DType.INT32, 3 << 20);
    assertEquals(new MemoryStats(size, size, size), alloc.stats(), "reused, no new block");
    CudaStorage other = new CudaStorage(alloc, DType.BOOL, 100);
    assertEquals(new MemoryStats(size + 512, size + 512, size + 512), alloc.stats());
    again.close();
    other.close();
    alloc.emptyCache();
    assertEquals(new MemoryStats(0, 0, size + 512), alloc.stats());
  }

  @Test
  void unreachableStoragesReturnThroughTheCleaner() throws InterruptedException {
    backend.synchronize();
    CudaAllocator alloc = new CudaAllocator();
    for (int i = 0; i < 8; i++) {
      new CudaStorage(alloc, DType.FLOAT64, 1 << 17);  // 1 MiB each, dropped at once
    }
    assertEquals(8L << 20, alloc.stats().allocatedBytes());
    for (int tries = 0; tries < 200 && alloc.stats().allocatedBytes() > 0; tries++) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(new MemoryStats(0, 8L << 20, 8L << 20), alloc.stats());
    alloc.emptyCache();
    assertEquals(0, alloc.stats().reservedBytes());
  }

  @Test
  void backendStatsSeeAllocations() {
    Storage s = backend.allocate(DType.FLOAT32, 1 << 20);
    assertTrue(Cuda.memoryStats().allocatedBytes() >= 4 << 20, Cuda.memoryStats().toString());
    assertTrue(Cuda.memoryStats().peakBytes() >= 4 << 20);
    s.close();
    Cuda.emptyCache();
    System.out.println("after emptyCache: " + Cuda.memoryStats());
  }

  @Test
  void useAfterCloseFailsNamingTheOp() {
    Strided x = upload(DType.FLOAT32, new double[] {1, 2}, 2);
    x.storage().close();
    var e = assertThrows(IllegalStateException.class, () -> backend.fill(x, 0));
    assertTrue(e.getMessage().startsWith("fill: "), e.getMessage());
  }

  @Test
  void driverErrorsBecomeBackendExceptionsNamingTheOp() {
    var e = assertThrows(BackendException.class, () -> backend.allocate(DType.FLOAT32, 1L << 50));
    assertTrue(e.getMessage().startsWith("allocate: "), e.getMessage());
    assertTrue(e.getMessage().contains("OUT_OF_MEMORY"), e.getMessage());
  }
}
