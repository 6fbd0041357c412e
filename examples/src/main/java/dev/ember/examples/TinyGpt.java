package dev.ember.examples;

import dev.ember.Index;
import dev.ember.Tensor;
import dev.ember.nn.Embedding;
import dev.ember.nn.LayerNorm;
import dev.ember.nn.Linear;
import dev.ember.nn.Module;
import dev.ember.nn.ModuleList;
import dev.ember.nn.Outputs;
import dev.ember.ops.Activations;

/**
 * A decoder-only transformer (GPT) over characters, with attention written out as in the W4
 * workload: {@code softmax(q k^T / sqrt(d), causal) @ v}, pre-LayerNorm blocks and a GELU (tanh)
 * MLP. Input int64 [B, T] token ids, output [B, T, vocab] logits; with targets, also the loss
 * ({@code model.call(idx, targets)}, as minGPT). Submodule names follow nanoGPT's.
 */
public final class TinyGpt extends Module {
  private final int context;

  /** Causal self-attention: c_attn [C, 3C] projects to q, k, v; c_proj mixes the heads. */
  static final class CausalSelfAttention extends Module {
    private final int heads;
    private final Linear qkv;
    private final Linear proj;

    CausalSelfAttention(int embd, int heads, int context) {
      this.heads = heads;
      this.qkv = registerModule("c_attn", new Linear(embd, 3 * embd));
      this.proj = registerModule("c_proj", new Linear(embd, embd));
      registerBuffer("mask", Tensor.ones(context, context).tril(0).eq(0).reshape(1, 1, context, context), false);
    }

    @Override
    public Tensor forward(Tensor x) {
      int b = x.size(0);
      int t = x.size(1);
      int c = x.size(2);
      int d = c / heads;
      var parts = qkv.call(x).split(c, 2);
      Tensor q = parts.get(0).reshape(b, t, heads, d).transpose(1, 2);
      Tensor k = parts.get(1).reshape(b, t, heads, d).transpose(1, 2);
      Tensor v = parts.get(2).reshape(b, t, heads, d).transpose(1, 2);
      Tensor att = q.matmul(k.transpose(-2, -1)).mul(1.0 / Math.sqrt(d));
      Tensor mask = buffer("mask").index(Index.all(), Index.all(), Index.slice(0, t), Index.slice(0, t));
      att = att.maskedFill(mask, Double.NEGATIVE_INFINITY).softmax(-1);
      Tensor y = att.matmul(v).transpose(1, 2).reshape(b, t, c);
      return proj.call(y);
    }
  }

  /** x + attn(ln_1(x)), then x + proj(gelu(fc(ln_2(x)))). */
  static final class Block extends Module {
    private final LayerNorm ln1;
    private final CausalSelfAttention attn;
    private final LayerNorm ln2;
    private final Linear fc;
    private final Linear proj;

    Block(int embd, int heads, int context) {
      ln1 = registerModule("ln_1", new LayerNorm(embd));
      attn = registerModule("attn", new CausalSelfAttention(embd, heads, context));
      ln2 = registerModule("ln_2", new LayerNorm(embd));
      fc = registerModule("fc", new Linear(embd, 4 * embd));
      proj = registerModule("proj", new Linear(4 * embd, embd));
    }

    @Override
    public Tensor forward(Tensor x) {
      x = x.add(attn.call(ln1.call(x)));
      return x.add(proj.call(Activations.gelu(fc.call(ln2.call(x)), "tanh")));
    }
  }

  private final Embedding tokens;
  private final Embedding positions;
  private final ModuleList blocks;
  private final LayerNorm lnF;
  private final Linear head;

  /** Creates the model; parameters come from the global generator. */
  public TinyGpt(int vocab, int context, int layers, int heads, int embd) {
    this.context = context;
    tokens = registerModule("wte", new Embedding(vocab, embd));
    positions = registerModule("wpe", new Embedding(context, embd));
    blocks = registerModule("blocks", new ModuleList());
    for (int i = 0; i < layers; i++) {
      blocks.add(new Block(embd, heads, context));
    }
    lnF = registerModule("ln_f", new LayerNorm(embd));
    head = registerModule("lm_head", new Linear(embd, vocab, false));
  }

  /** Returns the longest sequence the model takes. */
  public int context() {
    return context;
  }

  /** Maps int64 ids [B, T] to logits [B, T, vocab]. */
  @Override
  public Tensor forward(Tensor idx) {
    int t = idx.size(1);
    Tensor pos = Tensor.arange(t).to(idx.device());
    Tensor x = tokens.call(idx).add(positions.call(pos));
    for (Module block : blocks) {
      x = block.call(x);
    }
    return head.call(lnF.call(x));
  }

  /**
   * minGPT's {@code logits, loss = model(idx, targets)}: ids [B, T] and targets [B, T] (or null) to
   * logits [B, T, vocab] and the mean cross-entropy (null without targets). Called as {@code
   * model.call(idx, targets)}; {@code model.call(idx)} still returns the logits alone.
   */
  @Override
  public Outputs forward(Tensor... in) {
    Tensor logits = forward(in[0]);
    if (in.length == 1) {
      return Outputs.of(logits);
    }
    Tensor targets = in[1];
    Tensor loss = targets == null ? null
        : logits.reshape(-1, logits.size(-1)).crossEntropy(targets.reshape(-1));
    return Outputs.of(logits, loss);
  }
}
