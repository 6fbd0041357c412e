package dev.ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The one-line reasons made from JCuda's native-loading errors. */
class NativesTest {
  @Test
  void picksTheDynamicLinkersComplaint() {
    var e = new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0\"\n"
        + "Stack trace from the attempt to load the library as a resource:\n"
        + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: "
        + "cannot open shared object file: No such file or directory\n\tat somewhere");
    assertEquals("libcublas.so.12: cannot open shared object file: No such file or directory",
        Natives.reason(e));
  }

  @Test
  void fallsBackToTheFirstLine() {
    assertEquals("NoClassDefFoundError: Could not initialize class X",
        Natives.reason(new NoClassDefFoundError("Could not initialize class X\nmore")));
  }
}
