package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Raw}, whichever version the JVM loaded (the Unsafe one on Java 17-21, the foreign-memory
 * one of META-INF/versions/22 on 22+ when the build ran on a JDK 22+): every accessor round-trips at
 * unaligned addresses, the copies honour their byte offsets, and the foreign path runs exactly where
 * chosen ({@code -Dember.cpu.memoryAccess}; the JDK 22+ test runs force it).
 */
class RawTest {
  private static final int BYTES = 256;
  private Pointer block;
  private long base;

  @BeforeEach
  void allocate() {
    block = Pointer.malloc(BYTES);
    base = block.address();
  }

  @AfterEach
  void free() {
    Pointer.free(block);
  }

  @Test
  void everyAccessorRoundTripsAtUnalignedAddresses() {
    long p = base + 1; // odd: strided views hand out unaligned addresses
    Raw.putFloat(p, -1.5f);
    assertEquals(-1.5f, Raw.getFloat(p));
    Raw.putDouble(p + 8, Math.PI);
    assertEquals(Math.PI, Raw.getDouble(p + 8));
    Raw.putInt(p + 20, 0x12345678);
    assertEquals(0x12345678, Raw.getInt(p + 20));
    Raw.putLong(p + 24, 0x0102030405060708L);
    assertEquals(0x0102030405060708L, Raw.getLong(p + 24));
    Raw.putShort(p + 34, (short) -2);
    assertEquals((short) -2, Raw.getShort(p + 34));
    Raw.putByte(p + 37, (byte) 0x7f);
    assertEquals((byte) 0x7f, Raw.getByte(p + 37));
    assertEquals(Float.floatToRawIntBits(-1.5f), Raw.getInt(p), "the float's bits, in native order");
  }

  @Test
  void copiesAndFillsHonourTheirOffsets() {
    float[] src = {1, 2, 3, 4, 5, 6};
    Raw.setMemory(base, BYTES, (byte) 0);
    Raw.copyFromArray(src, 8, base + 4, 12); // src[2..5) to floats 1..3
    float[] back = new float[8];
    Raw.copyToArray(base, back, 4, 20); // floats 0..5 to back[1..6)
    assertArrayEquals(new float[] {0, 0, 3, 4, 5, 0, 0, 0}, back);
    Raw.copyMemory(base + 4, base + 64, 12);
    assertEquals(5f, Raw.getFloat(base + 72));
    Raw.setMemory(base + 65, 2, (byte) -1);
    assertEquals((byte) 0, Raw.getByte(base + 64));
    assertEquals((byte) -1, Raw.getByte(base + 65));
    assertEquals((byte) -1, Raw.getByte(base + 66));
    assertEquals(4f, Raw.getFloat(base + 68));
  }

  @Test
  void takesTheForeignPathOnlyInTheJava22ClassesAndWhereChosen() {
    // set by the java22-versions profile (pom.xml), active when Maven runs on JDK 22+
    boolean java22 = Boolean.getBoolean("ember.expectJava22Classes");
    String mode = System.getProperty("ember.cpu.memoryAccess", "auto");
    if (!java22 || mode.equals("unsafe")) {
      assertFalse(Raw.usesForeignMemory(), "Java 17 classes, or Unsafe forced");
    } else if (mode.equals("foreign")) {
      assertTrue(Raw.usesForeignMemory(), "foreign memory forced on Java " + Runtime.version().feature());
    }
  }

  @Test
  void aJvmWithoutUnsafeOptionsGetsNoUnsafeWarningFromEmberAndRunsUnderDeny() throws Exception {
    assumeTrue(Boolean.getBoolean("ember.expectJava22Classes") && Runtime.version().feature() >= 24,
        "needs the Java 22 classes on a JDK 24+ (Unsafe memory access warns from 24)");
    String warned = child(List.of());
    assertTrue(warned.startsWith("foreign=true"), warned);
    assertFalse(warned.contains("called by dev.ember"), "an Unsafe warning names Ember's code:\n" + warned);
    String denied = child(List.of("--sun-misc-unsafe-memory-access=deny"));
    assertTrue(denied.startsWith("foreign=true"), denied);
  }

  /** Runs {@link Child} in a new JVM with native access and {@code options}; its output, checked exit. */
  private static String child(List<String> options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.addAll(options);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "child JVM " + options + " failed:\n" + out);
    return out;
  }

  /** A JVM's first off-heap accesses through {@link Raw}; prints which path ran. */
  static final class Child {
    private Child() {}

    /** Writes, copies and reads back a few floats; prints {@code foreign=<path>}. */
    public static void main(String[] args) {
      Pointer block = Pointer.malloc(64);
      long a = block.address();
      Raw.setMemory(a, 64, (byte) 0);
      Raw.copyFromArray(new float[] {1, 2, 3}, 0, a, 12);
      Raw.copyMemory(a, a + 32, 12);
      float[] back = new float[3];
      Raw.copyToArray(a + 32, back, 0, 12);
      Raw.putDouble(a + 16, Raw.getFloat(a + 4) + back[2]);
      if (Raw.getDouble(a + 16) != 5) {
        throw new AssertionError("read back " + Raw.getDouble(a + 16));
      }
      Pointer.free(block);
      System.out.println("foreign=" + Raw.usesForeignMemory());
    }
  }
}
