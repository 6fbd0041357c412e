package dev.ember.ops;

import dev.ember.Tensor;
import java.util.Arrays;

/**
 * 3-d convolution ({@code torch.nn.functional.conv3d}) as a composition of 2-d ones: output depth
 * {@code z} is the sum over the kernel's depth taps {@code i} of {@link Convolution#conv2d} of the
 * input slab at depth {@code z * sd + i * dd} with the weight's tap {@code i}. Every slab of one tap
 * goes through one batched conv2d call ({@code N * od} images), so a kernel of depth {@code kd} costs
 * {@code kd} 2-d convolutions, on the fused conv2d path where a backend has one. No gradient code:
 * the slicing, reshaping and 2-d convolutions carry it (double-backward included).
 */
public final class Convolution3d {
  private Convolution3d() {}

  /**
   * Returns the 3-d convolution (cross-correlation, as in PyTorch) of {@code x} [N, C, D, H, W] (or
   * unbatched [C, D, H, W]) with {@code weight} [O, C / groups, kd, kh, kw], plus {@code bias} [O]
   * or null: [N, O, od, oh, ow] with {@code od = (D + 2 pd - dd (kd - 1) - 1) / sd + 1}, likewise oh,
   * ow.
   *
   * @param stride (sd, sh, sw), or one value for all three
   * @param padding zero padding (pd, ph, pw) on both sides, or one value for all three
   * @param dilation (dd, dh, dw), or one value for all three
   * @param groups input and output channels split into this many independent groups
   */
  public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
      int groups) {
    if (x.dim() == 4) {
      return conv3d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
    }
    Convolution.checkRank("conv3d", x, 5, "[N, C, D, H, W] (or unbatched [C, D, H, W])");
    if (weight.dim() != 5) {
      throw new IllegalArgumentException("conv3d: expected a 5-d weight [O, C / groups, kd, kh, kw], got "
          + weight.shape());
    }
    if (groups <= 0 || x.size(1) != weight.size(1) * groups || weight.size(0) % groups != 0) {
      throw new IllegalArgumentException("conv3d: input " + x.shape() + " has " + x.size(1) + " channels, but weight "
          + weight.shape() + " with groups " + groups + " expects " + (long) weight.size(1) * groups
          + " (and out_channels divisible by groups)");
    }
    if (x.dtype() != weight.dtype() || !x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("conv3d: input (" + x.dtype() + ") and weight (" + weight.dtype()
          + ") must share one floating dtype");
    }
    int[] s = triple("stride", stride, 1);
    int[] p = triple("padding", padding, 0);
    int[] d = triple("dilation", dilation, 1);
    if (bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
      throw new IllegalArgumentException("conv3d: bias must be [" + weight.size(0) + "] for weight "
          + weight.shape() + ", got " + bias.shape());
    }
    int n = x.size(0);
    int kd = weight.size(2);
    Tensor xp = p[0] == 0 ? x : Shaping.pad(x, new int[] {0, 0, 0, 0, p[0], p[0]}, 0);
    int depth = xp.size(2);
    long span = (long) d[0] * (kd - 1) + 1;
    if (depth < span) {
      throw new IllegalArgumentException("conv3d: padded input depth " + depth + " is smaller than the dilated"
          + " kernel depth " + span + " (input " + x.shape() + ", weight " + weight.shape() + ")");
    }
    int od = (int) ((depth - span) / s[0] + 1);
    Tensor sum = null;
    for (int i = 0; i < kd; i++) {
      int start = i * d[0];
      Tensor slab = xp.slice(2, start, start + (od - 1) * s[0] + 1, s[0]);       // [N, C, od, H, W]
      Tensor images = slab.permute(0, 2, 1, 3, 4).reshape(n * od, x.size(1), x.size(3), x.size(4));
      Tensor tap = Convolution.conv2d(images, weight.select(2, i), null, new int[] {s[1], s[2]},
          new int[] {p[1], p[2]}, new int[] {d[1], d[2]}, groups);                 // [N * od, O, oh, ow]
      sum = sum == null ? tap : sum.add(tap);
    }
    Tensor out = sum.reshape(n, od, sum.size(1), sum.size(2), sum.size(3)).permute(0, 2, 1, 3, 4);
    return bias == null ? out : out.add(bias.reshape(1, bias.size(0), 1, 1, 1));
  }

  private static int[] triple(String what, int[] v, int min) {
    if (v == null || (v.length != 1 && v.length != 3)) {
      throw new IllegalArgumentException("conv3d: " + what + " must have 1 or 3 values, got " + Arrays.toString(v));
    }
    int[] out = v.length == 1 ? new int[] {v[0], v[0], v[0]} : v.clone();
    for (int e : out) {
      if (e < min) {
        throw new IllegalArgumentException("conv3d: " + what + " must be " + (min == 0 ? "non-negative" : "positive")
            + ", got " + Arrays.toString(v));
      }
    }
    return out;
  }
}
