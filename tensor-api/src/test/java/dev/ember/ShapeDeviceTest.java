package dev.ember;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.internal.Dispatch;
import org.junit.jupiter.api.Test;

/** Backend-free logic: shapes, broadcasting, device names, dtype promotion. */
class ShapeDeviceTest {
  @Test
  void broadcastFollowsPyTorchRules() {
    assertArrayEquals(new int[] {3, 4}, Dispatch.broadcastShapes("add", new int[] {3, 1}, new int[] {1, 4}));
    assertArrayEquals(new int[] {2, 3, 4}, Dispatch.broadcastShapes("add", new int[] {2, 3, 4}, new int[] {4}));
    assertArrayEquals(new int[] {2, 3}, Dispatch.broadcastShapes("add", new int[0], new int[] {2, 3}));
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dispatch.broadcastShapes("add", new int[] {2, 3}, new int[] {4}));
    assertTrue(e.getMessage().startsWith("add: shapes [2, 3] and [4]"), e.getMessage());
  }

  @Test
  void parsesDevices() {
    assertEquals(Device.CPU, Device.parse("cpu"));
    assertEquals(new Device("cuda", 0), Device.parse("cuda"));
    assertEquals(new Device("cuda", 1), Device.parse("cuda:1"));
    assertEquals("cuda:1", Device.parse("cuda:1").toString());
    assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
    assertThrows(IllegalArgumentException.class, () -> Device.parse("cpu:1"));
    assertThrows(IllegalArgumentException.class, () -> Device.parse("Tpu"));
  }

  @Test
  void promotesDtypes() {
    assertEquals(DType.FLOAT64, DType.promote(DType.FLOAT32, DType.FLOAT64));
    assertEquals(DType.FLOAT32, DType.promote(DType.INT64, DType.FLOAT32));
    assertEquals(DType.INT64, DType.promote(DType.INT32, DType.INT64));
    assertEquals(DType.INT32, DType.promote(DType.BOOL, DType.INT32));
    assertEquals(DType.FLOAT64, DType.parse("torch.float64"));
  }

  @Test
  void shapeBasics() {
    Shape s = Shape.of(2, 3, 4);
    assertEquals(24, s.numel());
    assertEquals(4, s.get(-1));
    assertEquals("[2, 3, 4]", s.toString());
    assertEquals(1, Shape.scalar().numel());
    assertThrows(IndexOutOfBoundsException.class, () -> s.get(3));
  }
}
