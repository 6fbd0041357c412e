package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.conformance.GoldenOps;
import dev.ember.conformance.GoldenOps.Attrs;
import dev.ember.ops.Attention;
import dev.ember.ops.Convolution;
import dev.ember.ops.Embedding;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;
import dev.ember.ops.Normalization;
import dev.ember.ops.Pooling;
import dev.ember.ops.Pooling.Pool2d;
import java.util.List;

/**
 * The golden-table rows of the neural-network ops (convolution, pooling, normalization, embedding,
 * attention, regression and binary losses, normalize): PyTorch's keyword arguments mapped onto
 * Ember's signatures. {@link GoldenOps} calls {@link #registerAll()} from its static block.
 */
public final class NnGoldenRows {
  /** The PyTorch op names these rows cover. */
  public static final List<String> OPS = List.of(
      "torch.nn.functional.conv1d", "torch.nn.functional.conv2d", "torch.nn.functional.conv_transpose1d",
      "torch.nn.functional.conv_transpose2d", "torch.nn.functional.max_pool2d",
      "torch.nn.functional.avg_pool2d", "torch.nn.functional.adaptive_avg_pool2d",
      "torch.nn.functional.layer_norm", "torch.nn.functional.batch_norm", "torch.nn.functional.group_norm",
      "torch.nn.functional.embedding", "torch.nn.functional.scaled_dot_product_attention",
      "torch.nn.functional.mse_loss", "torch.nn.functional.l1_loss", "torch.nn.functional.smooth_l1_loss",
      "torch.nn.functional.huber_loss", "torch.nn.functional.binary_cross_entropy",
      "torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.normalize");

  private NnGoldenRows() {}

  /** Registers every row with {@link GoldenOps#register}; idempotent. */
  public static void registerAll() {
    GoldenOps.register("torch.nn.functional.conv2d", (in, a) -> {
      Object padding = padding(a);
      int[] stride = ints(a, "stride", 1);
      int[] dilation = ints(a, "dilation", 1);
      int groups = a.integer("groups", 1);
      return padding instanceof String s
          ? Convolution.conv2d(in.get(0), in.get(1), opt(in, 2), stride, s, dilation, groups)
          : Convolution.conv2d(in.get(0), in.get(1), opt(in, 2), stride, (int[]) padding, dilation, groups);
    });
    GoldenOps.register("torch.nn.functional.conv1d", (in, a) -> {
      Object padding = padding(a);
      int stride = ints(a, "stride", 1)[0];
      int dilation = ints(a, "dilation", 1)[0];
      int groups = a.integer("groups", 1);
      return padding instanceof String s
          ? Convolution.conv1d(in.get(0), in.get(1), opt(in, 2), stride, s, dilation, groups)
          : Convolution.conv1d(in.get(0), in.get(1), opt(in, 2), stride, ((int[]) padding)[0], dilation, groups);
    });
    GoldenOps.register("torch.nn.functional.conv_transpose2d", (in, a) -> Convolution.convTranspose2d(
        in.get(0), in.get(1), opt(in, 2), ints(a, "stride", 1), ints(a, "padding", 0),
        ints(a, "output_padding", 0), a.integer("groups", 1), ints(a, "dilation", 1)));
    GoldenOps.register("torch.nn.functional.conv_transpose1d", (in, a) -> Convolution.convTranspose1d(
        in.get(0), in.get(1), opt(in, 2), ints(a, "stride", 1)[0], ints(a, "padding", 0)[0],
        ints(a, "output_padding", 0)[0], a.integer("groups", 1), ints(a, "dilation", 1)[0]));
    GoldenOps.register("torch.nn.functional.max_pool2d", (in, a) -> Pooling.maxPool2d(in.get(0), pool(a)));
    GoldenOps.register("torch.nn.functional.avg_pool2d", (in, a) -> Pooling.avgPool2d(in.get(0), pool(a),
        a.bool("count_include_pad", true), a.has("divisor_override") ? a.integer("divisor_override", 1) : null));
    GoldenOps.register("torch.nn.functional.adaptive_avg_pool2d", (in, a) ->
        Pooling.adaptiveAvgPool2d(in.get(0), a.ints("output_size")));
    GoldenOps.register("torch.nn.functional.layer_norm", (in, a) -> Normalization.layerNorm(in.get(0),
        a.ints("normalized_shape"), opt(in, 1), opt(in, 2), a.number("eps", 1e-5)));
    // Golden batch_norm cases pass (input, weight, bias) with no running statistics.
    GoldenOps.register("torch.nn.functional.batch_norm", (in, a) -> Normalization.batchNorm(in.get(0), null,
        null, opt(in, 1), opt(in, 2), a.bool("training", false), a.number("momentum", 0.1),
        a.number("eps", 1e-5)));
    GoldenOps.register("torch.nn.functional.group_norm", (in, a) -> Normalization.groupNorm(in.get(0),
        a.integer("num_groups", 1), opt(in, 1), opt(in, 2), a.number("eps", 1e-5)));
    GoldenOps.register("torch.nn.functional.embedding", (in, a) -> Embedding.embedding(in.get(0), in.get(1),
        a.has("padding_idx") ? (long) a.integer("padding_idx", 0) : null));
    GoldenOps.register("torch.nn.functional.scaled_dot_product_attention", (in, a) ->
        Attention.scaledDotProductAttention(in.get(0), in.get(1), in.get(2), opt(in, 3),
            a.number("dropout_p", 0), a.bool("is_causal", false), a.has("scale") ? a.number("scale", 1) : null));
    GoldenOps.register("torch.nn.functional.mse_loss", (in, a) -> NnLosses.mseLoss(in.get(0), in.get(1),
        reduction(a)));
    GoldenOps.register("torch.nn.functional.l1_loss", (in, a) -> NnLosses.l1Loss(in.get(0), in.get(1),
        reduction(a)));
    GoldenOps.register("torch.nn.functional.smooth_l1_loss", (in, a) -> NnLosses.smoothL1Loss(in.get(0),
        in.get(1), reduction(a), a.number("beta", 1)));
    GoldenOps.register("torch.nn.functional.huber_loss", (in, a) -> NnLosses.huberLoss(in.get(0),
        in.get(1), reduction(a), a.number("delta", 1)));
    GoldenOps.register("torch.nn.functional.binary_cross_entropy", (in, a) -> NnLosses.binaryCrossEntropy(
        in.get(0), in.get(1), opt(in, 2), reduction(a)));
    GoldenOps.register("torch.nn.functional.binary_cross_entropy_with_logits", (in, a) ->
        NnLosses.binaryCrossEntropyWithLogits(in.get(0), in.get(1), opt(in, 2), opt(in, 3), reduction(a)));
    GoldenOps.register("torch.nn.functional.normalize", (in, a) -> NnLosses.normalize(in.get(0),
        a.number("p", 2), a.integer("dim", 1), a.number("eps", 1e-12)));
  }

  private static Tensor opt(List<Tensor> in, int i) {
    return in.size() > i ? in.get(i) : null;
  }

  private static int[] ints(Attrs a, String key, int fallback) {
    int[] v = a.ints(key);
    return v == null ? new int[] {fallback} : v;
  }

  /** Returns the padding attribute: an int[] or PyTorch's "same"/"valid". */
  private static Object padding(Attrs a) {
    try {
      return ints(a, "padding", 0);
    } catch (ClassCastException e) {
      return a.string("padding", "valid");
    }
  }

  private static Pool2d pool(Attrs a) {
    int[] stride = a.ints("stride");
    return new Pool2d(a.ints("kernel_size"), stride, ints(a, "padding", 0), ints(a, "dilation", 1),
        a.bool("ceil_mode", false));
  }

  private static Reduction reduction(Attrs a) {
    return Reduction.parse(a.string("reduction", "mean"));
  }
}
