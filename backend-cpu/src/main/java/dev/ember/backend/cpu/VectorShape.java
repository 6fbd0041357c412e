package dev.ember.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one vector shape every Vector API kernel of this backend uses: 256 bits where the machine has
 * them (AVX2 and AVX-512 alike), else its preferred shape. Loaded only once {@link VectorSupport} says
 * the module is there.
 *
 * <p>One shape, not the preferred one per kernel, because shapes must not mix: the JDK's vector methods
 * ({@code intoArray}, {@code lanewise}) are shared by every shape and profiled as one, and once a
 * 128-bit float vector ran through them (a 4-float widening in {@link VectorSums}), Java 17's C2
 * compiled some 256-bit kernels with a two-type profile at the store, where its intrinsic gives up and
 * every vector is boxed: W4's steady step allocated 17 MiB of boxed vectors, the tanh-GELU backward of
 * 524,288 floats 4 MiB per call (the same kernels allocate nothing with one shape).
 */
final class VectorShape {
  /** Float lanes: 8 on AVX2 and AVX-512 machines. */
  static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
      ? FloatVector.SPECIES_256 : FloatVector.SPECIES_PREFERRED;

  /** Double lanes of the same shape: 4 on AVX2 and AVX-512 machines. */
  static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 256
      ? DoubleVector.SPECIES_256 : DoubleVector.SPECIES_PREFERRED;

  /**
   * Whether the shape holds 8 floats and 4 doubles (256 bits): {@link FloatSums}' lane order and the
   * kernels of {@link VectorSums} and {@link VectorRowSums} are built on it.
   */
  static final boolean EIGHT_FLOATS = FLOATS.length() == 8 && DOUBLES.length() == 4;

  private VectorShape() {}
}
