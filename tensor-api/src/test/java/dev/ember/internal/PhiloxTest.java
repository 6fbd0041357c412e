package dev.ember.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Known-answer tests for Philox 4x32-10 (the Random123 reference vectors). */
class PhiloxTest {
  @Test
  void matchesReferenceVectors() {
    assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        Philox.block(0, 0, 0, 0, 0, 0));
    assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        Philox.block(-1, -1, -1, -1, -1, -1));
    assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
  }

  @Test
  void uniformsLieInUnitIntervalWithMeanNearHalf() {
    double sum = 0;
    for (int i = 0; i < 100_000; i++) {
      double u = Philox.uniformDouble(42, i);
      float f = Philox.uniformFloat(42, i);
      assertTrue(u >= 0 && u < 1 && f >= 0 && f < 1);
      sum += u;
    }
    assertEquals(0.5, sum / 100_000, 0.005);
  }
}
