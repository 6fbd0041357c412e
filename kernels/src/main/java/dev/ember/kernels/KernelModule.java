package dev.ember.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One PTX file on the class path, generated from {@code kernels/src/main/cuda/<name>.cu} and
 * loaded by a backend with the driver's {@code cuModuleLoadData}. PTX targets {@code compute_80}
 * with ISA {@code .version 8.0}, so any driver from CUDA 12.0 on JIT-compiles it for sm_80 and newer.
 */
public enum KernelModule {
  /** Unary, binary, copy with conversion, fill and where. */
  ELEMENTWISE("elementwise"),
  /** Reductions and cumulative sum. */
  REDUCE("reduce"),
  /** Gather and scatter-add. */
  INDEX("index"),
  /** Philox uniform fill. */
  RANDOM("random"),
  /** Fused softmax and log-softmax. */
  SOFTMAX("softmax"),
  /** Tiled batched GEMM, the fallback when cuBLAS cannot be loaded. */
  GEMM("gemm");

  private final String fileName;

  KernelModule(String baseName) {
    this.fileName = baseName + ".ptx";
  }

  /** Returns the PTX file's name, e.g. {@code "elementwise.ptx"}. */
  public String fileName() {
    return fileName;
  }

  /** Returns the absolute class-path resource path, e.g. {@code /dev/ember/kernels/gemm.ptx}. */
  public String resourcePath() {
    return "/dev/ember/kernels/" + fileName;
  }

  /** Returns the kernel families whose entry points this module defines. */
  public List<Kernel> kernels() {
    List<Kernel> list = new ArrayList<>();
    for (Kernel k : Kernel.values()) {
      if (k.module() == this) {
        list.add(k);
      }
    }
    return List.copyOf(list);
  }

  /** Returns every entry point this module defines, e.g. {@code unary_f32}. */
  public List<String> entryPoints() {
    List<String> names = new ArrayList<>();
    for (Kernel k : kernels()) {
      names.addAll(k.entryPoints());
    }
    return List.copyOf(names);
  }

  /**
   * Reads the PTX text from the class path.
   *
   * @throws IllegalStateException if the resource is missing (a broken build)
   * @throws UncheckedIOException if it cannot be read
   */
  public String ptx() {
    return new String(readResource(), StandardCharsets.US_ASCII);
  }

  /**
   * Returns the PTX as a NUL-terminated byte array, the image {@code cuModuleLoadData} expects.
   *
   * @throws IllegalStateException if the resource is missing (a broken build)
   * @throws UncheckedIOException if it cannot be read
   */
  public byte[] image() {
    byte[] text = readResource();
    byte[] image = new byte[text.length + 1];
    System.arraycopy(text, 0, image, 0, text.length);
    return image;
  }

  private byte[] readResource() {
    try (InputStream in = KernelModule.class.getResourceAsStream(resourcePath())) {
      if (in == null) {
        throw new IllegalStateException(
            "kernels: PTX resource " + resourcePath() + " is not on the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("kernels: cannot read " + resourcePath(), e);
    }
  }
}
