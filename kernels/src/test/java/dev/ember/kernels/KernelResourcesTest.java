package dev.ember.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.nvptxcompiler.JNvPTXCompiler;
import jcuda.nvptxcompiler.nvPTXCompileResult;
import jcuda.nvptxcompiler.nvPTXCompilerHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Checks the checked-in PTX against {@link Kernel}, {@link OpCodes} and, where available, ptxas. */
class KernelResourcesTest {
  private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(");
  private static final Pattern DEFINE =
      Pattern.compile("^#define ((?:UNARY|BINARY|REDUCE)_\\w+) (\\d+)$", Pattern.MULTILINE);

  @ParameterizedTest
  @EnumSource(KernelModule.class)
  void ptxTargetsIsa80AndSm80(KernelModule module) {
    String ptx = module.ptx();
    assertTrue(ptx.contains("\n.version 8.0\n"), module.fileName() + ": expected .version 8.0");
    assertTrue(ptx.contains("\n.target sm_80\n"), module.fileName() + ": expected .target sm_80");
    assertTrue(ptx.contains("\n.address_size 64\n"), module.fileName() + ": expected 64-bit");
    byte[] image = module.image();
    assertEquals(0, image[image.length - 1], "image must be NUL-terminated");
  }

  @ParameterizedTest
  @EnumSource(KernelModule.class)
  void ptxDefinesExactlyTheDeclaredEntryPoints(KernelModule module) {
    TreeSet<String> inPtx = new TreeSet<>();
    Matcher m = ENTRY.matcher(module.ptx());
    while (m.find()) {
      inPtx.add(m.group(1));
    }
    assertEquals(new TreeSet<>(module.entryPoints()), inPtx, module.fileName());
  }

  @Test
  void entryPointNamesFollowTheSuffixScheme() {
    assertEquals("unary_f32", Kernel.UNARY.entryPoint(ElementType.F32));
    assertEquals("copy_i64_b8", Kernel.COPY.entryPoint(ElementType.I64, ElementType.B8));
    assertEquals("scatter_add_i32", Kernel.SCATTER_ADD.entryPoint(ElementType.I32));
    assertEquals(49, Kernel.COPY.entryPoints().size());
    assertEquals("copy_bf16_f16", Kernel.COPY.entryPoint(ElementType.BF16, ElementType.F16));
    assertEquals("fill_f16", Kernel.FILL.entryPoint(ElementType.F16));
    assertEquals(false, Kernel.UNARY.supports(ElementType.BF16));
    assertEquals(false, Kernel.GEMM.supports(ElementType.I64));
  }

  @Test
  void opCodesMatchTheCudaHeader() throws IOException, IllegalAccessException {
    String header = Files.readString(Path.of("src/main/cuda/ember.cuh"), StandardCharsets.US_ASCII);
    Map<String, Integer> inHeader = new TreeMap<>();
    Matcher m = DEFINE.matcher(header);
    while (m.find()) {
      inHeader.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    Map<String, Integer> inJava = new TreeMap<>();
    for (Field f : OpCodes.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
        inJava.put(f.getName(), f.getInt(null));
      }
    }
    assertEquals(inHeader, inJava);
  }

  @ParameterizedTest
  @EnumSource(KernelModule.class)
  void ptxasAssemblesForSm80AndSm90(KernelModule module) throws Exception {
    String ptxas = findPtxas();
    assumeTrue(ptxas != null, "ptxas not on PATH or in /usr/local/cuda*/bin: skipping ptxas check");
    Path file = Files.createTempFile("ember-" + module.name(), ".ptx");
    try {
      Files.writeString(file, module.ptx(), StandardCharsets.US_ASCII);
      for (String arch : new String[] {"sm_80", "sm_90"}) {
        var cmd = new ArrayList<String>();
        cmd.add(ptxas);
        cmd.add("-arch=" + arch);
        cmd.add("-o");
        cmd.add("/dev/null");
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ptxas timed out");
        assertEquals(0, p.exitValue(), module.fileName() + " for " + arch + ":\n" + log);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @ParameterizedTest
  @EnumSource(KernelModule.class)
  void nvPtxCompilerAssemblesForSm80AndSm90(KernelModule module) {
    String reason = loadNvPtxCompiler();
    assumeTrue(reason == null, () -> "JCuda nvPTXCompiler unavailable: " + reason);
    byte[] image = module.image();
    for (String arch : new String[] {"sm_80", "sm_90"}) {
      nvPTXCompilerHandle h = new nvPTXCompilerHandle();
      assertEquals(0, JNvPTXCompiler.nvPTXCompilerCreate(h, image.length - 1, image));
      try {
        int rc = JNvPTXCompiler.nvPTXCompilerCompile(h, 1, new String[] {"--gpu-name=" + arch});
        assertEquals(
            nvPTXCompileResult.stringFor(0),
            nvPTXCompileResult.stringFor(rc),
            () -> module.fileName() + " for " + arch + ":\n" + errorLog(h));
        long[] size = new long[1];
        JNvPTXCompiler.nvPTXCompilerGetCompiledProgramSize(h, size);
        assertTrue(size[0] > 0, "empty cubin");
      } finally {
        JNvPTXCompiler.nvPTXCompilerDestroy(h);
      }
    }
  }

  private static String errorLog(nvPTXCompilerHandle h) {
    long[] size = new long[1];
    JNvPTXCompiler.nvPTXCompilerGetErrorLogSize(h, size);
    byte[] log = new byte[(int) size[0]];
    JNvPTXCompiler.nvPTXCompilerGetErrorLog(h, log);
    return new String(log, StandardCharsets.UTF_8).trim();
  }

  private static String nvPtxCompilerProbe;

  /** Returns null when the compiler loads, else why not; never lets a link error escape. */
  private static synchronized String loadNvPtxCompiler() {
    if (nvPtxCompilerProbe == null) {
      String reason = probeNvPtxCompiler();
      nvPtxCompilerProbe = reason == null ? "" : reason;
    }
    return nvPtxCompilerProbe.isEmpty() ? null : nvPtxCompilerProbe;
  }

  private static String probeNvPtxCompiler() {
    try {
      int[] major = new int[1];
      int[] minor = new int[1];
      JNvPTXCompiler.nvPTXCompilerGetVersion(major, minor);
      System.out.println("JCuda nvPTXCompiler API " + major[0] + "." + minor[0]);
      return null;
    } catch (Throwable t) {
      return t.toString();
    }
  }

  private static String findPtxas() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, "ptxas");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    File[] local = new File("/usr/local").listFiles((d, n) -> n.startsWith("cuda"));
    if (local != null) {
      for (File d : local) {
        File f = new File(d, "bin/ptxas");
        if (f.canExecute()) {
          return f.getPath();
        }
      }
    }
    return null;
  }
}
