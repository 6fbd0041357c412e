import dev.ember.GradMode;
import dev.ember.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Probe run by scripts/gpu-check.sh before the long stages: prints what Cuda.info() says, whether
 * CUDA is available (and if not, why), then a short smoke test (a float32 matmul on cuda against the
 * CPU, and the GEMM rate of a 2048^3 float32 matmul on each device). Output lines are "key: value" so
 * the shell script can grep them. Compiled by scripts/gpu-bundle.sh into gpu-bundle/tools; it only
 * uses the public API of tensor-api and dev.ember.backend.cuda.Cuda (through reflection, so the
 * probe still runs, and says so, when backend-cuda is not on the class path).
 *
 * <p>Exit status: 0 when cuda is available and the smoke test passed, 3 when cuda is unavailable,
 * 1 when the smoke test failed. {@code CudaInfo --self-test} runs the smoke test with cpu in place of
 * cuda, to check this program on a machine without a GPU.
 */
public final class CudaInfo {
  private CudaInfo() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    System.out.println("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.home") + ")");
    System.out.println("cpus: " + Runtime.getRuntime().availableProcessors()
        + ", max heap: " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
    if (args.length > 0 && args[0].equals("--self-test")) {
      System.exit(smoke("cpu", null) ? 0 : 1);
      return;
    }
    Class<?> cuda;
    try {
      cuda = Class.forName("dev.ember.backend.cuda.Cuda");
    } catch (ClassNotFoundException e) {
      System.out.println("cuda-available: false");
      System.out.println("cuda-reason: backend-cuda is not on the class path");
      System.exit(3);
      return;
    }
    String info = String.valueOf(cuda.getMethod("info").invoke(null));
    boolean available = (Boolean) cuda.getMethod("isAvailable").invoke(null);
    System.out.println("cuda-info: " + info.replace('\n', ' '));
    System.out.println("cuda-available: " + available);
    if (!available) {
      String reason = info.startsWith("CUDA unavailable: ") ? info.substring("CUDA unavailable: ".length()) : info;
      System.out.println("cuda-reason: " + reason.replace('\n', ' '));
      System.exit(3);
      return;
    }
    System.out.println("cuda-device-count: " + cuda.getMethod("deviceCount").invoke(null));
    System.exit(smoke("cuda", cuda) ? 0 : 1);
  }

  /** Checks {@code dev} against the CPU and times a GEMM on both; returns whether the checks passed. */
  private static boolean smoke(String dev, Class<?> cuda) {
    boolean ok = true;
    try (GradMode off = GradMode.noGrad()) {
      // Correctness: cuda matmul (and a transposed operand) against the CPU.
      Tensor a = Tensor.randn(300, 257);
      Tensor b = Tensor.randn(257, 129);
      Tensor ref = a.matmul(b);
      Tensor got = a.to(dev).matmul(b.to(dev)).to("cpu");
      double err = got.sub(ref).abs().amax().item() / Math.max(1e-30, ref.abs().amax().item());
      Tensor c = Tensor.randn(129, 257); // a @ c^T: the right operand is a transposed view
      Tensor refT = a.matmul(c.t());
      double errT = a.to(dev).matmul(c.to(dev).t()).to("cpu").sub(refT).abs().amax().item()
          / Math.max(1e-30, refT.abs().amax().item());
      ok = err < 1e-4 && errT < 1e-4;
      System.out.printf(Locale.ROOT, "smoke-matmul: %s on %s (max rel err %.2e, transposed %.2e)%n",
          ok ? "ok" : "FAILED", dev, err, errT);
      // Elementwise + reduction round trip.
      Tensor x = Tensor.randn(1 << 20);
      double s1 = x.mul(x).sum().item();
      double s2 = x.to(dev).mul(x.to(dev)).sum().item();
      boolean okSum = Math.abs(s1 - s2) <= 1e-4 * Math.abs(s1);
      ok &= okSum;
      System.out.printf(Locale.ROOT, "smoke-sum: %s (cpu %.6f, %s %.6f)%n", okSum ? "ok" : "FAILED", s1, dev, s2);
      for (String d : new String[] {dev, "cpu"}) {
        int n = 2048;
        Tensor p = Tensor.randn(n, n).to(d);
        Tensor q = Tensor.randn(n, n).to(d);
        p.matmul(q).sum().item(); // warm-up (module load, cuBLAS handle, JIT)
        int reps = d.equals("cuda") ? 10 : 2;
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          p.matmul(q).sum().item(); // item() waits for the device
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        double med = ms[reps / 2];
        System.out.printf(Locale.ROOT, "gemm-%s: %dx%dx%d float32 median %.2f ms (%.0f GFLOP/s, incl. a sum and a sync)%n",
            d, n, n, n, med, 2.0 * n * n * n / (med * 1e-3) / 1e9);
      }
      if (cuda != null) {
        System.out.println("cuda-memory: " + cuda.getMethod("memoryStats").invoke(null));
      }
    } catch (Throwable t) {
      ok = false;
      System.out.println("smoke: FAILED " + t);
      t.printStackTrace(System.out);
    }
    return ok;
  }
}
