package dev.ember.conformance;

import dev.ember.Index;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Linalg;
import dev.ember.ops.Losses;
import dev.ember.ops.Shaping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The table from a golden case's PyTorch op name (plus its {@code attrs}) to Ember calls. One row
 * per op: {@code row("torch.add", (in, a) -> in.get(0).add(in.get(1)))}. Inputs arrive in
 * PyTorch's positional order, already converted to the run's dtype and moved to its device;
 * integer and bool inputs keep their dtype. An op without a row counts as "not implemented".
 *
 * <p>To support a new op, add a row to the static block (or call {@link #register} from another
 * test class's static initializer) and, once it must pass on every backend, add its name to {@link
 * #OWNED}.
 */
public final class GoldenOps {
  /** Maps a case's inputs and attributes to the op's (single) output. */
  @FunctionalInterface
  public interface Op {
    /** Runs the op. */
    Tensor apply(List<Tensor> inputs, Attrs attrs);
  }

  /** A case's keyword arguments with PyTorch's names, and typed accessors with defaults. */
  public static final class Attrs {
    private final Map<String, Object> map;

    Attrs(Map<String, Object> map) {
      this.map = map == null ? Map.of() : map;
    }

    /** Returns whether the attribute is present and not null. */
    public boolean has(String key) {
      return map.get(key) != null;
    }

    /** Returns an integer attribute, or {@code fallback} when absent or null. */
    public int integer(String key, int fallback) {
      Object v = map.get(key);
      return v == null ? fallback : ((Number) v).intValue();
    }

    /** Returns a floating attribute, or {@code fallback} when absent or null. */
    public double number(String key, double fallback) {
      Object v = map.get(key);
      return v == null ? fallback : ((Number) v).doubleValue();
    }

    /** Returns a boolean attribute, or {@code fallback} when absent or null. */
    public boolean bool(String key, boolean fallback) {
      Object v = map.get(key);
      return v == null ? fallback : (Boolean) v;
    }

    /** Returns a string attribute, or {@code fallback} when absent or null. */
    public String string(String key, String fallback) {
      Object v = map.get(key);
      return v == null ? fallback : (String) v;
    }

    /** Returns an int or a list of ints as an array (an int becomes one element); null if absent. */
    public int[] ints(String key) {
      Object v = map.get(key);
      if (v == null) {
        return null;
      }
      if (v instanceof Number n) {
        return new int[] {n.intValue()};
      }
      List<?> list = (List<?>) v;
      int[] out = new int[list.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = ((Number) list.get(i)).intValue();
      }
      return out;
    }

    @Override
    public String toString() {
      return map.toString();
    }
  }

  /**
   * Op names this conformance issue owns: every golden case of these must pass on every backend
   * and dtype. The nn ops (convolution, pooling, normalization, embedding, attention, the other
   * losses) are run and counted but not yet required.
   */
  public static final Set<String> OWNED = Set.of(
      "torch.add", "torch.sub", "torch.mul", "torch.div", "torch.maximum", "torch.minimum", "torch.pow",
      "torch.neg", "torch.exp", "torch.log", "torch.sqrt", "torch.rsqrt", "torch.abs", "torch.tanh",
      "torch.sigmoid", "torch.sin", "torch.cos", "torch.relu", "torch.square", "torch.reciprocal",
      "torch.log1p", "torch.expm1", "torch.nn.functional.gelu", "torch.nn.functional.silu",
      "torch.nn.functional.softplus", "torch.nn.functional.elu", "torch.nn.functional.leaky_relu",
      "torch.clamp", "torch.sum", "torch.mean", "torch.amax", "torch.amin", "torch.prod", "torch.logsumexp",
      "torch.var", "torch.std", "torch.max", "torch.argmax", "torch.cumsum", "torch.linalg.vector_norm",
      "torch.matmul", "torch.bmm", "torch.nn.functional.linear", "torch.einsum", "torch.outer",
      "Tensor.reshape", "Tensor.view", "Tensor.permute", "Tensor.transpose", "Tensor.expand",
      "Tensor.unsqueeze", "Tensor.squeeze", "Tensor.flatten", "torch.cat", "torch.stack", "torch.split",
      "torch.chunk", "Tensor.__getitem__", "torch.index_select", "torch.gather", "torch.scatter_add",
      "torch.where", "Tensor.masked_fill", "torch.tril", "torch.nn.functional.pad", "Tensor.repeat",
      "torch.softmax", "torch.log_softmax", "torch.nn.functional.cross_entropy",
      "torch.nn.functional.nll_loss");

  private static final Map<String, Op> TABLE = new HashMap<>();

  private GoldenOps() {}

  /** Adds (or replaces) the row for {@code opName}. */
  public static synchronized void register(String opName, Op op) {
    TABLE.put(opName, op);
  }

  /** Returns the row for {@code opName}, or null when Ember has none yet. */
  public static synchronized Op lookup(String opName) {
    return TABLE.get(opName);
  }

  /** Returns the names of all rows, sorted. */
  public static synchronized Set<String> names() {
    return new TreeSet<>(TABLE.keySet());
  }

  private static void row(String opName, Op op) {
    register(opName, op);
  }

  private static void unary(String opName, java.util.function.UnaryOperator<Tensor> f) {
    register(opName, (in, a) -> f.apply(in.get(0)));
  }

  private static void binary(String opName, java.util.function.BinaryOperator<Tensor> f) {
    register(opName, (in, a) -> f.apply(in.get(0), in.get(1)));
  }

  static {
    // ------------------------------------------------------------ elementwise
    binary("torch.add", Tensor::add);
    binary("torch.sub", Tensor::sub);
    binary("torch.mul", Tensor::mul);
    binary("torch.div", Tensor::div);
    binary("torch.maximum", Tensor::maximum);
    binary("torch.minimum", Tensor::minimum);
    row("torch.pow", (in, a) -> a.has("exponent") ? in.get(0).pow(a.number("exponent", 1))
        : in.get(0).pow(in.get(1)));
    unary("torch.neg", Tensor::neg);
    unary("torch.exp", Tensor::exp);
    unary("torch.log", Tensor::log);
    unary("torch.sqrt", Tensor::sqrt);
    unary("torch.rsqrt", Tensor::rsqrt);
    unary("torch.abs", Tensor::abs);
    unary("torch.tanh", Tensor::tanh);
    unary("torch.sigmoid", Tensor::sigmoid);
    unary("torch.sin", Tensor::sin);
    unary("torch.cos", Tensor::cos);
    unary("torch.relu", Tensor::relu);
    unary("torch.square", Tensor::square);
    unary("torch.reciprocal", Tensor::reciprocal);
    unary("torch.log1p", Tensor::log1p);
    unary("torch.expm1", Tensor::expm1);
    row("torch.nn.functional.gelu", (in, a) -> Activations.gelu(in.get(0), a.string("approximate", "none")));
    unary("torch.nn.functional.silu", Activations::silu);
    row("torch.nn.functional.softplus", (in, a) -> Activations.softplus(in.get(0), a.number("beta", 1),
        a.number("threshold", 20)));
    row("torch.nn.functional.elu", (in, a) -> Activations.elu(in.get(0), a.number("alpha", 1)));
    row("torch.nn.functional.leaky_relu", (in, a) -> Activations.leakyRelu(in.get(0),
        a.number("negative_slope", 0.01)));
    row("torch.clamp", (in, a) -> in.get(0).clamp(a.number("min", Double.NaN), a.number("max", Double.NaN)));

    // ------------------------------------------------------------ reductions
    row("torch.sum", (in, a) -> in.get(0).sum(a.ints("dim"), a.bool("keepdim", false)));
    row("torch.mean", (in, a) -> in.get(0).mean(a.ints("dim"), a.bool("keepdim", false)));
    row("torch.amax", (in, a) -> in.get(0).amax(a.ints("dim"), a.bool("keepdim", false)));
    row("torch.amin", (in, a) -> in.get(0).amin(a.ints("dim"), a.bool("keepdim", false)));
    row("torch.prod", (in, a) -> a.has("dim") ? in.get(0).prod(a.integer("dim", 0), a.bool("keepdim", false))
        : in.get(0).prod());
    row("torch.logsumexp", (in, a) -> in.get(0).logsumexp(a.ints("dim"), a.bool("keepdim", false)));
    row("torch.var", (in, a) -> in.get(0).var(a.ints("dim"), a.number("correction", 1),
        a.bool("keepdim", false)));
    row("torch.std", (in, a) -> in.get(0).std(a.ints("dim"), a.number("correction", 1),
        a.bool("keepdim", false)));
    row("torch.max", (in, a) -> {
      if (!a.has("dim")) {
        return in.get(0).amax();
      }
      var r = in.get(0).max(a.integer("dim", 0), a.bool("keepdim", false));
      return a.string("output", "values").equals("values") ? r.values() : r.indices();
    });
    row("torch.argmax", (in, a) -> a.has("dim") ? in.get(0).argmax(a.integer("dim", 0),
        a.bool("keepdim", false)) : in.get(0).argmax());
    row("torch.cumsum", (in, a) -> in.get(0).cumsum(a.integer("dim", 0)));
    row("torch.linalg.vector_norm", (in, a) -> in.get(0).norm(a.number("ord", 2), a.ints("dim"),
        a.bool("keepdim", false)));

    // ------------------------------------------------------------ linear algebra
    binary("torch.matmul", Tensor::matmul);
    binary("torch.bmm", Tensor::bmm);
    binary("torch.outer", Tensor::outer);
    row("torch.nn.functional.linear", (in, a) -> Linalg.linear(in.get(0), in.get(1),
        in.size() > 2 ? in.get(2) : null));
    row("torch.einsum", (in, a) -> Linalg.einsum(a.string("equation", ""), in.toArray(new Tensor[0])));

    // ------------------------------------------------------------ views and shaping
    row("Tensor.reshape", (in, a) -> in.get(0).reshape(a.ints("shape")));
    row("Tensor.view", (in, a) -> in.get(0).view(a.ints("shape")));
    row("Tensor.permute", (in, a) -> in.get(0).permute(a.ints("dims")));
    row("Tensor.transpose", (in, a) -> in.get(0).transpose(a.integer("dim0", 0), a.integer("dim1", 1)));
    row("Tensor.expand", (in, a) -> in.get(0).expand(a.ints("shape")));
    row("Tensor.unsqueeze", (in, a) -> in.get(0).unsqueeze(a.integer("dim", 0)));
    row("Tensor.squeeze", (in, a) -> a.has("dim") ? in.get(0).squeeze(a.integer("dim", 0))
        : in.get(0).squeeze());
    row("Tensor.flatten", (in, a) -> in.get(0).flatten(a.integer("start_dim", 0), a.integer("end_dim", -1)));
    row("torch.cat", (in, a) -> Shaping.cat(in, a.integer("dim", 0)));
    row("torch.stack", (in, a) -> Shaping.stack(in, a.integer("dim", 0)));
    row("torch.split", (in, a) -> in.get(0).split(a.integer("split_size", 1), a.integer("dim", 0))
        .get(a.integer("output_index", 0)));
    row("torch.chunk", (in, a) -> in.get(0).chunk(a.integer("chunks", 1), a.integer("dim", 0))
        .get(a.integer("output_index", 0)));
    row("torch.tril", (in, a) -> in.get(0).tril(a.integer("diagonal", 0)));
    row("torch.triu", (in, a) -> in.get(0).triu(a.integer("diagonal", 0)));
    row("torch.nn.functional.pad", (in, a) -> Shaping.pad(in.get(0), a.ints("pad"), a.number("value", 0)));
    row("Tensor.repeat", (in, a) -> in.get(0).repeat(a.ints("repeats")));

    // ------------------------------------------------------------ indexing
    row("Tensor.__getitem__", (in, a) -> in.get(0).index(parseIndex(a.string("index", "[]"), in)));
    row("torch.index_select", (in, a) -> in.get(0).indexSelect(a.integer("dim", 0), in.get(1)));
    row("torch.gather", (in, a) -> in.get(0).gather(a.integer("dim", 0), in.get(1)));
    row("torch.scatter_add", (in, a) -> in.get(0).scatterAdd(a.integer("dim", 0), in.get(1), in.get(2)));
    row("torch.where", (in, a) -> Tensor.where(in.get(0), in.get(1), in.get(2)));
    row("Tensor.masked_fill", (in, a) -> in.get(0).maskedFill(in.get(1), a.number("value", 0)));

    // ------------------------------------------------------------ softmax and losses
    row("torch.softmax", (in, a) -> in.get(0).softmax(a.integer("dim", -1)));
    row("torch.log_softmax", (in, a) -> in.get(0).logSoftmax(a.integer("dim", -1)));
    register("torch.nn.functional.softmax", lookup("torch.softmax"));
    register("torch.nn.functional.log_softmax", lookup("torch.log_softmax"));
    row("torch.nn.functional.cross_entropy", (in, a) -> Losses.crossEntropy(in.get(0), in.get(1),
        lossOptions(a, in.size() > 2 ? in.get(2) : null)));
    row("torch.nn.functional.nll_loss", (in, a) -> Losses.nllLoss(in.get(0), in.get(1),
        lossOptions(a, in.size() > 2 ? in.get(2) : null)));

    // ------------------------------------------------------------ nn ops (conv, pooling, norms, ...)
    dev.ember.nn.NnGoldenRows.registerAll();
  }

  private static Losses.Options lossOptions(Attrs a, Tensor weight) {
    Losses.Options o = Losses.Options.defaults()
        .withReduction(Losses.Reduction.parse(a.string("reduction", "mean")))
        .withIgnoreIndex(a.integer("ignore_index", -100));
    if (a.has("label_smoothing")) {
      o = o.withLabelSmoothing(a.number("label_smoothing", 0));
    }
    return weight == null ? o : o.withWeight(weight);
  }

  /**
   * Parses a Python index expression such as {@code "[1:5:2, ::3]"}, {@code "[..., None, 1]"} or
   * {@code "[t1]"} ({@code tN} names input N) into {@link Tensor#index} arguments.
   */
  static Object[] parseIndex(String expr, List<Tensor> inputs) {
    String body = expr.trim();
    if (body.startsWith("[") && body.endsWith("]")) {
      body = body.substring(1, body.length() - 1);
    }
    List<Object> out = new ArrayList<>();
    for (String part : body.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      if (p.equals("...") || p.equals("Ellipsis")) {
        out.add(Index.ELLIPSIS);
      } else if (p.equals("None")) {
        out.add(Index.NEW_AXIS);
      } else if (p.matches("t\\d+")) {
        out.add(inputs.get(Integer.parseInt(p.substring(1))));
      } else if (p.contains(":")) {
        String[] f = p.split(":", -1);
        Integer start = f[0].isBlank() ? null : Integer.valueOf(f[0].trim());
        Integer end = f.length < 2 || f[1].isBlank() ? null : Integer.valueOf(f[1].trim());
        int step = f.length < 3 || f[2].isBlank() ? 1 : Integer.parseInt(f[2].trim());
        out.add(Index.slice(start, end, step));
      } else {
        out.add(Integer.valueOf(p));
      }
    }
    return out.toArray();
  }
}
