package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
