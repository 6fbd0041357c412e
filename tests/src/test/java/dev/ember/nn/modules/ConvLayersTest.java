package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.nn.Conv2d;
import dev.ember.nn.Conv3d;
import dev.ember.nn.ConvTranspose2d;
import org.junit.jupiter.api.Test;

/**
 * What Conv2d, Conv3d and ConvTranspose2d share through their base (PyTorch's {@code _ConvNd}):
 * getters, reprs, weight shapes and the messages of the checks, pinned as they were before the base.
 */
class ConvLayersTest {
  @Test
  void gettersAndWeightShapesOfEveryConvolution() {
    Conv3d c3 = new Conv3d(4, 6, new int[] {1, 3, 3}, new int[] {1, 2, 2}, new int[] {0, 1, 1},
        new int[] {1, 1, 1}, 2, false, null);
    assertEquals(4, c3.inChannels());
    assertEquals(6, c3.outChannels());
    assertArrayEquals(new int[] {1, 3, 3}, c3.kernelSize());
    assertArrayEquals(new int[] {1, 2, 2}, c3.stride());
    assertArrayEquals(new int[] {0, 1, 1}, c3.padding());
    assertArrayEquals(new int[] {1, 1, 1}, c3.dilation());
    assertEquals(2, c3.groups());
    assertArrayEquals(new int[] {6, 2, 1, 3, 3}, c3.weight().shapeArray());
    assertNull(c3.bias());
    ConvTranspose2d up = new ConvTranspose2d(4, 6, new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 0},
        new int[] {1, 0}, 2, true, new int[] {1, 1}, null);
    assertArrayEquals(new int[] {4, 3, 3, 2}, up.weight().shapeArray(), "transposed: [in, out / groups, kh, kw]");
    assertArrayEquals(new int[] {6}, up.bias().shapeArray());
    assertArrayEquals(new int[] {1, 0}, up.outputPadding());
    assertArrayEquals(new int[] {3, 2}, up.kernelSize());
    assertEquals(2, up.groups());
    // the bias bound is 1/sqrt(fan_in), fan_in from the weight: (out / groups) * kh * kw = 3 * 6
    double bound = 1 / Math.sqrt(18);
    for (double b : up.bias().toDoubleArray()) {
      assertEquals(true, Math.abs(b) <= bound, "bias " + b + " within " + bound);
    }
  }

  @Test
  void reprsAreUnchanged() {
    assertEquals("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))", new Conv2d(3, 8, 3).toString());
    assertEquals("Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2, bias=False)",
        new Conv2d(4, 8, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2, false, null)
            .toString());
    assertEquals("Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)",
        new Conv2d(1, 2, 3, "same").toString());
    assertEquals("Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), bias=False)", new Conv3d(2, 4,
        new int[] {3, 3, 3}, new int[] {1, 1, 1}, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 1, false, null).toString());
    assertEquals("ConvTranspose2d(8, 3, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))",
        new ConvTranspose2d(8, 3, 4, 2, 1).toString());
  }

  @Test
  void checksNameTheLayer() {
    String groups = assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(3, 4, new int[] {2, 2},
        new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}, 2, true, new int[] {1, 1}, null)).getMessage();
    assertEquals("ConvTranspose2d: in_channels 3 and out_channels 4 must both be divisible by groups 2", groups);
    String conv3 = assertThrows(IllegalArgumentException.class, () -> new Conv3d(2, 4, new int[] {3, 3},
        new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, true, null)).getMessage();
    assertEquals("Conv3d: kernel must be (kd, kh, kw), got [3, 3]", conv3);
    String conv2 = assertThrows(IllegalArgumentException.class, () -> new Conv2d(2, 4, new int[] {3},
        new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, true, null)).getMessage();
    assertEquals("Conv2d: kernel must be (kh, kw), got [3]", conv2);
  }
}
