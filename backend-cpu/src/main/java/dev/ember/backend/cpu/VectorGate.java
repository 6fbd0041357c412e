package dev.ember.backend.cpu;

/**
 * Tells when one Vector API kernel runs compiled, so it may take whole blocks. Until then (the kernel is
 * <em>cold</em>) its caller runs the vector code on the first {@link #PROBE_FLOATS} floats of each block
 * and the rest of the block on its scalar loop ({@link #vectorFloats} says how many floats go to the
 * vector code); every block is timed while cold, one in 16 when open ({@link #begin}, {@link #end}).
 *
 * <p>Why: interpreted or C1-compiled, every vector operation allocates an object (W4's first steps made
 * about 800 MB of such garbage, which grew G1's young generation and the process's peak RSS); compiled
 * by C2 the same code allocates nothing and runs about a hundred times faster per float, which is what
 * the timing sees. The short vector calls still climb the invocation counts that get the code compiled.
 * A fixed count of cold blocks (the earlier rule) ended too early at load: C2 had not compiled the loop
 * yet and the kernel then ran interpreted on whole blocks.
 *
 * <p>The gate opens after {@link #FAST_IN_A_ROW} timed blocks in a row ran at compiled speed (below
 * {@code 300 ns} plus the kernel's bound per float, 4 ns unless its work per float is heavier) and closes
 * again after two slow ones: when the caller's compiled code is thrown away (a deoptimization, common
 * right after the gate opens, as the caller's branch profile changes) the kernel may run on a C1-compiled
 * copy for a while, and the gate sends it back to a few lanes until C2 has compiled that copy too. A JVM
 * whose vector code never gets fast (no intrinsics for this machine) keeps the scalar loops, the faster
 * choice there. {@code -Dember.cpu.vectorPriming=false}
 * opens every gate from the start.
 */
final class VectorGate {
  /** Floats of a block that a cold kernel runs on its vector code. */
  static final int PROBE_FLOATS = 8;
  /** Timed blocks in a row at compiled speed that open the gate. */
  static final int FAST_IN_A_ROW = 32;
  /** Timed blocks in a row at interpreted speed that close an open gate. */
  static final int SLOW_IN_A_ROW = 2;
  private static final int SAMPLE_MASK = 15;
  private static final boolean PRIMING = Boolean.parseBoolean(System.getProperty("ember.cpu.vectorPriming", "true"));
  /** {@code -Dember.cpu.vectorGateLog=true} prints each gate's opening and closing to stderr. */
  private static final boolean LOG = Boolean.getBoolean("ember.cpu.vectorGateLog");

  private final String name;
  /** The most nanoseconds per float of a block at compiled speed (besides 300 ns a call). */
  private final int nanosPerFloat;

  /** The most floats of a block the vector code takes: all when open, {@link #PROBE_FLOATS} when cold. */
  private volatile int limit = PRIMING ? PROBE_FLOATS : Integer.MAX_VALUE;
  /** Timed blocks in a row at compiled (cold) or interpreted (open) speed; racy between threads. */
  private int run;
  /** Blocks seen, for the 1-in-16 sample; racy between threads. */
  private int ticks;
  /** 0 while cold (every block timed), {@link #SAMPLE_MASK} when open. */
  private volatile int sampleMask;

  /**
   * Creates a closed gate (open with {@code -Dember.cpu.vectorPriming=false}) for the kernel {@code name},
   * whose compiled code takes at most 4 ns per float.
   */
  VectorGate(String name) {
    this(name, 4);
  }

  /**
   * Creates a closed gate for the kernel {@code name}, whose compiled code takes at most {@code
   * nanosPerFloat} ns per float (a margin of 3x or more over 2.5-3.5 GHz x86 cores; interpreted or
   * C1-compiled vector code takes 10-100 times its compiled time).
   */
  VectorGate(String name, int nanosPerFloat) {
    this.name = name;
    this.nanosPerFloat = nanosPerFloat;
    this.sampleMask = PRIMING ? 0 : SAMPLE_MASK;
  }

  /** Returns the kernel's name. */
  @Override
  public String toString() {
    return name;
  }

  /** Returns whether the kernel runs compiled: callers give it whole blocks. */
  boolean open() {
    return limit == Integer.MAX_VALUE;
  }

  /** Returns how many of a block's {@code len} floats go to the vector code: all, or a cold kernel's few. */
  int vectorFloats(int len) {
    return Math.min(len, limit);
  }

  /** Returns how many of a block's {@code count} rows go to the vector code: all when open, one when cold. */
  int vectorRows(int count) {
    return Math.min(count, limit / PROBE_FLOATS);
  }

  /**
   * {@link #vectorFloats(int)} for a kernel that takes whole units of {@code unit} floats: all of {@code
   * len} (a multiple of {@code unit}) when open, one unit when cold.
   */
  int vectorFloats(int len, int unit) {
    return Math.min(len, Math.max(limit, unit)) / unit * unit;
  }

  /**
   * Starts timing this block if it is a sampled one (every block while cold, one in 16 when open): the
   * time, else 0; pass it to {@link #end}.
   */
  long begin() {
    return (++ticks & sampleMask) == 0 ? System.nanoTime() : 0;
  }

  /** Ends a block's vector call of {@code floats} floats that {@link #begin} returned {@code begin} for. */
  void end(long begin, int floats) {
    if (begin != 0) {
      record(System.nanoTime() - begin, floats);
    }
  }

  /** Counts one timed vector call that took {@code nanos} for {@code floats} floats (tests feed it directly). */
  void record(long nanos, int floats) {
    boolean compiledSpeed = nanos < 300 + (long) nanosPerFloat * floats;
    boolean open = open();
    if (compiledSpeed == open) {
      run = 0;
    } else if (++run >= (open ? SLOW_IN_A_ROW : FAST_IN_A_ROW)) {
      limit = open ? PROBE_FLOATS : Integer.MAX_VALUE;
      sampleMask = open ? 0 : SAMPLE_MASK;
      run = 0;
      if (LOG) {
        System.err.printf("[ember] vector kernel %s %s (last timed block: %d floats in %d ns)%n", name,
            open ? "closed" : "opened", floats, nanos);
      }
    }
  }

  /** Makes the kernel cold again (tests). */
  void close() {
    limit = PROBE_FLOATS;
    sampleMask = 0;
    run = 0;
  }

  /** Opens the gate at once (tests). */
  void openNow() {
    limit = Integer.MAX_VALUE;
    sampleMask = SAMPLE_MASK;
    run = 0;
  }
}
