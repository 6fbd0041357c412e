package dev.ember.ops;

import dev.ember.Tensor;
import java.util.Arrays;

/**
 * {@code torch.nn.functional.pad} with its four modes. {@code "constant"} is {@link Shaping#pad};
 * {@code "reflect"}, {@code "replicate"} and {@code "circular"} pad the last one to three dims by
 * gathering source positions with {@code index_select}, so their gradient (a scatter-add of the
 * output gradient onto the sources) comes from that op. Negative amounts crop, as in PyTorch.
 */
public final class Padding {
  private Padding() {}

  /**
   * Returns {@code x} padded by {@code pad}, (before, after) pairs starting from the last dim.
   *
   * @param mode {@code "constant"} (with {@code value}), {@code "reflect"} (mirror without repeating
   *     the edge), {@code "replicate"} (repeat the edge) or {@code "circular"} (wrap around)
   * @throws IllegalArgumentException for an unknown mode, an odd pad length, a non-constant mode on
   *     a tensor of the wrong rank (PyTorch's rule: padding k dims needs k + 1 or k + 2 dims), or a
   *     reflect/circular amount not smaller than (not at most) the dim it pads
   */
  public static Tensor pad(Tensor x, int[] pad, String mode, double value) {
    if ("constant".equals(mode)) {
      return Shaping.pad(x, pad, value);
    }
    if (!mode.equals("reflect") && !mode.equals("replicate") && !mode.equals("circular")) {
      throw new IllegalArgumentException("pad: mode must be 'constant', 'reflect', 'replicate' or 'circular',"
          + " got '" + mode + "'");
    }
    if (pad.length % 2 != 0 || pad.length == 0 || pad.length > 6) {
      throw new IllegalArgumentException("pad: " + mode + " padding takes 2, 4 or 6 values (the last 1-3 dims),"
          + " got " + Arrays.toString(pad));
    }
    int k = pad.length / 2;
    if (x.dim() != k + 1 && x.dim() != k + 2) {
      throw new IllegalArgumentException("pad: " + mode + " padding of " + k + " dims expects a " + (k + 1) + "-d or "
          + (k + 2) + "-d input, got shape " + x.shape() + " (pad " + Arrays.toString(pad) + ")");
    }
    Tensor out = x;
    for (int i = 0; i < k; i++) {
      int d = x.dim() - 1 - i;
      out = out.indexSelect(d, sourceIndex(mode, x, d, pad[2 * i], pad[2 * i + 1], pad));
    }
    return out;
  }

  /** The source position of every output position along {@code dim}, as an int64 1-d tensor. */
  private static Tensor sourceIndex(String mode, Tensor x, int dim, int before, int after, int[] pad) {
    int n = x.size(dim);
    long size = (long) n + before + after;
    if (size <= 0 || n == 0) {
      throw new IllegalArgumentException("pad: padding " + Arrays.toString(pad) + " leaves dim " + dim
          + " of shape " + x.shape() + " with size " + size + "; it must stay positive");
    }
    if (mode.equals("reflect") && (before >= n || after >= n)) {
      throw new IllegalArgumentException("pad: reflect padding (" + before + ", " + after + ") must be smaller"
          + " than dim " + dim + " of size " + n + " (input shape " + x.shape() + ")");
    }
    if (mode.equals("circular") && (before > n || after > n)) {
      throw new IllegalArgumentException("pad: circular padding (" + before + ", " + after + ") must be at most"
          + " dim " + dim + " of size " + n + " (input shape " + x.shape() + ")");
    }
    long[] index = new long[(int) size];
    for (int j = 0; j < index.length; j++) {
      int src = j - before;
      index[j] = switch (mode) {
        case "reflect" -> src < 0 ? -src : src >= n ? 2L * (n - 1) - src : src;
        case "replicate" -> Math.min(Math.max(src, 0), n - 1);
        default -> Math.floorMod(src, n);
      };
    }
    return Tensor.of(index).to(x.device());
  }
}
