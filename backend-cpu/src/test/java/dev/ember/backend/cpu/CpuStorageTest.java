package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import org.junit.jupiter.api.Test;

/** Storage lifetimes: a close during a kernel defers the free to the kernel's end. */
class CpuStorageTest {
  @Test
  void closeWhilePinnedFreesAtTheLastUnpin() {
    long before = CpuMemory.INSTANCE.inUseBytes();
    CpuStorage s = new CpuStorage(DType.FLOAT32, 1000);
    long size = CpuMemory.sizeClass(4000);
    assertEquals(before + size, CpuMemory.INSTANCE.inUseBytes());
    s.pin("a");
    s.pin("b");
    s.close();
    assertTrue(s.isClosed());
    s.unpin();
    assertEquals(before + size, CpuMemory.INSTANCE.inUseBytes(), "freed while a kernel still uses it");
    s.unpin();
    assertEquals(before, CpuMemory.INSTANCE.inUseBytes(), "not freed after the last use");
    s.close();
    assertEquals(before, CpuMemory.INSTANCE.inUseBytes(), "a second close freed again");
  }

  @Test
  void aKernelOnAClosedStorageRaisesNamingTheOpAndLeavesNothingPinned() {
    CpuBackend cpu = new CpuBackend();
    CpuStorage a = new CpuStorage(DType.FLOAT32, 4);
    CpuStorage b = new CpuStorage(DType.FLOAT32, 4);
    CpuStorage out = new CpuStorage(DType.FLOAT32, 4);
    b.close();
    long inUse = CpuMemory.INSTANCE.inUseBytes();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.binary(BinaryOp.MUL,
        Strided.contiguous(a, new int[] {4}), Strided.contiguous(b, new int[] {4}),
        Strided.contiguous(out, new int[] {4})));
    assertTrue(e.getMessage().startsWith("mul: use after close"), e.getMessage());
    a.close();
    out.close();
    assertEquals(inUse - 2 * CpuMemory.sizeClass(16), CpuMemory.INSTANCE.inUseBytes(),
        "a stayed pinned after the failed kernel, so its close did not free it");
  }
}
