package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Device;
import dev.ember.internal.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The device list itself: discovery, and failing (not skipping) a requested device. */
class DevicesTest {
  @Test
  void cpuIsAlwaysUnderTest() {
    assertTrue(Devices.resolve().contains(Device.CPU));
    assertTrue(Backends.providerTypes().contains("cpu"));
  }

  @Test
  void requestedDevicesAreUsedAsListed() {
    assertEquals(List.of(Device.CPU), Devices.discover("cpu"));
  }

  @Test
  void aRequestedButUnavailableDeviceFailsTheRun() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Devices.discover("cpu,tpu"));
    assertTrue(e.getMessage().contains("tpu:0") && e.getMessage().contains("no backend"), e.getMessage());
    if (!Backends.isAvailable(Device.cuda())) {
      IllegalStateException c = assertThrows(IllegalStateException.class, () -> Devices.discover("cpu,cuda"));
      assertTrue(c.getMessage().contains(Backends.unavailableReason(Device.cuda())), c.getMessage());
    }
  }
}
