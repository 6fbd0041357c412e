package dev.ember;

/**
 * A seedable source of random numbers ({@code torch.Generator}), counter-based: a seed and an
 * offset into the Philox 4x32-10 stream. Each random fill of n elements uses counters {@code
 * offset .. offset+n-1} and advances the offset, so every backend draws the same numbers.
 *
 * <p>The state is two longs ({@link #seed()}, {@link #offset()}), saved and restored for
 * checkpoints with {@link #setState}.
 */
public final class Generator {
  private static final Generator GLOBAL = new Generator(67280421310721L);
  private long seed;
  private long offset;

  /** Creates a generator with the given seed. */
  public Generator(long seed) {
    this.seed = seed;
  }

  /** Returns the default generator used when none is given. */
  public static Generator global() {
    return GLOBAL;
  }

  /** Reseeds and rewinds this generator; returns {@code this}. */
  public synchronized Generator manualSeed(long newSeed) {
    this.seed = newSeed;
    this.offset = 0;
    return this;
  }

  /** Returns the seed. */
  public synchronized long seed() {
    return seed;
  }

  /** Returns the next unused counter. */
  public synchronized long offset() {
    return offset;
  }

  /** Restores a state saved from {@link #seed()} and {@link #offset()}. */
  public synchronized void setState(long newSeed, long newOffset) {
    this.seed = newSeed;
    this.offset = newOffset;
  }

  /** Reserves {@code count} counters and returns the first. For op implementations. */
  public synchronized long reserve(long count) {
    long first = offset;
    offset += count;
    return first;
  }
}
