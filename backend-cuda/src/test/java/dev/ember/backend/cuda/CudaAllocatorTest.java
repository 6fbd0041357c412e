package dev.ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Size classes of the caching allocator; pure Java (allocation itself needs a GPU). */
class CudaAllocatorTest {
  @Test
  void smallRequestsRoundToMultiplesOf512() {
    assertEquals(512, CudaAllocator.sizeClass(0));
    assertEquals(512, CudaAllocator.sizeClass(1));
    assertEquals(512, CudaAllocator.sizeClass(512));
    assertEquals(1024, CudaAllocator.sizeClass(513));
    assertEquals(1 << 20, CudaAllocator.sizeClass(1 << 20));
  }

  @Test
  void largeRequestsHaveFourClassesPerPowerOfTwoAndAtMost25PercentSlack() {
    assertEquals((1 << 20) + (1 << 18), CudaAllocator.sizeClass((1 << 20) + 1));
    assertEquals(3L << 30, CudaAllocator.sizeClass((5L << 29) + 1));
    for (long b = (1 << 20) + 1; b < (1L << 34); b = b * 7 / 5 + 13) {
      long c = CudaAllocator.sizeClass(b);
      assertTrue(c >= b && c <= b + b / 4, b + " -> " + c);
      assertEquals(c, CudaAllocator.sizeClass(c), "a class maps to itself: " + c);
    }
  }
}
