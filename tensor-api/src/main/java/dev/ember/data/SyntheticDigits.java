package dev.ember.data;

import dev.ember.Tensor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.font.FontRenderContext;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A built-in, download-free MNIST stand-in: 28x28 grayscale images of the digits 0-9, generated
 * deterministically from a seed, returned like {@link Mnist} ({@code {images [N, 1, 28, 28]
 * float32 in [0, 1], labels [N] int64}}).
 *
 * <pre>{@code
 * TensorDataset train = SyntheticDigits.train();   // 60,000 examples, seed DEFAULT_SEED
 * TensorDataset test = SyntheticDigits.test();     // 10,000 examples, disjoint from train
 * }</pre>
 *
 * <p>About 60% of the digits are glyphs of the JDK's logical fonts (SansSerif, Serif, Monospaced,
 * Dialog, DialogInput; plain, bold, italic, bold italic), the rest handwriting-like pen strokes
 * with 2-3 shapes per digit (open and closed 4, crossed 7, 1 with and without flag, ...), each
 * point jittered. Every image then gets a random rotation (up to 18 degrees), shear, aspect,
 * scale, shift and stroke thickness, an elastic distortion (a smooth random displacement field),
 * a contrast change, Gaussian pixel noise and, in a quarter of the images, faint stray marks. A
 * small CNN learns it to well over 97% test accuracy; a linear model stays well below.
 *
 * <p><b>Determinism.</b> Example {@code i} of a split depends only on the seed, the split and
 * {@code i}, never on the thread count or the other examples, so the same seed gives identical
 * bytes and {@code train(100, s)} is a prefix of {@code train(1000, s)}. Pixels are 8-bit values
 * scaled by 1/255, as MNIST's are. Glyph outlines come from the fonts installed on the machine
 * (through fontconfig) and Java2D rasterizes them, so machines with different fonts or JDK
 * versions may give different images for the same seed; on a machine without usable fonts ({@link
 * #usesFonts()} false) every digit is drawn with pen strokes. Java2D renders headless: the class
 * sets {@code java.awt.headless=true} unless the property is already set.
 *
 * <p>Generation runs on all cores and takes about 40 µs of CPU an image: the default 60,000 +
 * 10,000 take about 4 s on two idle cores. Nothing is cached; call {@code train(size, seed)} for
 * a smaller set.
 *
 * @since 0.1
 */
public final class SyntheticDigits {
  /** Side of the square images, in pixels. */
  public static final int SIZE = 28;

  /** The number of classes, digits 0 to 9. */
  public static final int CLASSES = 10;

  /** Examples in {@link #train()}. */
  public static final int DEFAULT_TRAIN_SIZE = 60_000;

  /** Examples in {@link #test()}. */
  public static final int DEFAULT_TEST_SIZE = 10_000;

  /** The seed of {@link #train()} and {@link #test()}. */
  public static final long DEFAULT_SEED = 20_240_601L;

  private static final String[] FAMILIES = {"SansSerif", "Serif", "Monospaced", "Dialog",
      "DialogInput"};
  private static final int[] STYLES = {Font.PLAIN, Font.BOLD, Font.ITALIC, Font.BOLD | Font.ITALIC};

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private SyntheticDigits() {}

  /** One generated example: {@code SIZE * SIZE} row-major 8-bit pixels and its digit. */
  public record Sample(byte[] pixels, int label) {}

  /** Returns the default training set: {@value #DEFAULT_TRAIN_SIZE} examples of {@link #DEFAULT_SEED}. */
  public static TensorDataset train() {
    return train(DEFAULT_TRAIN_SIZE, DEFAULT_SEED);
  }

  /** Returns the default test set: {@value #DEFAULT_TEST_SIZE} examples of {@link #DEFAULT_SEED}. */
  public static TensorDataset test() {
    return test(DEFAULT_TEST_SIZE, DEFAULT_SEED);
  }

  /**
   * Returns {@code size} training examples {@code {images [size, 1, 28, 28], labels [size]}}.
   *
   * @throws IllegalArgumentException if size is negative
   */
  public static TensorDataset train(int size, long seed) {
    return generate(size, seed, false);
  }

  /**
   * Returns {@code size} test examples, drawn from a stream disjoint from the training one.
   *
   * @throws IllegalArgumentException if size is negative
   */
  public static TensorDataset test(int size, long seed) {
    return generate(size, seed, true);
  }

  /** Returns whether digits are drawn with fonts (false where the JDK found no usable font). */
  public static boolean usesFonts() {
    return Glyphs.OUTLINES != null;
  }

  /**
   * Returns example {@code index} of the training ({@code test == false}) or test stream of {@code
   * seed}: exactly the bytes {@link #train(int, long)} or {@link #test(int, long)} scale to [0, 1].
   */
  public static Sample sample(long seed, boolean test, int index) {
    byte[] px = new byte[SIZE * SIZE];
    int label = RENDERER.get().render(seed, test, index, px, 0);
    return new Sample(px, label);
  }

  private static final ThreadLocal<Renderer> RENDERER = ThreadLocal.withInitial(Renderer::new);

  private static TensorDataset generate(int size, long seed, boolean test) {
    if (size < 0) {
      throw new IllegalArgumentException("synthetic_digits: negative size " + size);
    }
    int px = SIZE * SIZE;
    byte[] pixels = new byte[size * px];
    long[] labels = new long[size];
    int chunk = 256;
    int chunks = (size + chunk - 1) / chunk;
    IntStream.range(0, chunks).parallel().forEach(c -> {
      Renderer r = RENDERER.get();
      for (int i = c * chunk; i < Math.min(size, (c + 1) * chunk); i++) {
        labels[i] = r.render(seed, test, i, pixels, i * px);
      }
    });
    float[] values = new float[pixels.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = (pixels[i] & 0xff) / 255f;
    }
    return new TensorDataset(Tensor.of(values, size, 1, SIZE, SIZE), Tensor.of(labels, size));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // ------------------------------------------------------------------------------------ glyphs

  /** Font outlines per (font, digit), normalised so the digit's box is [0, 1] high. */
  private static final class Glyphs {
    static final Shape[][] OUTLINES = load();

    private static Shape[][] load() {
      try {
        FontRenderContext frc = new FontRenderContext(null, true, true);
        Shape[][] out = new Shape[FAMILIES.length * STYLES.length][CLASSES];
        for (int f = 0; f < FAMILIES.length; f++) {
          for (int s = 0; s < STYLES.length; s++) {
            Font font = new Font(FAMILIES[f], STYLES[s], 100);
            for (int d = 0; d < CLASSES; d++) {
              Shape outline = font.createGlyphVector(frc, Integer.toString(d)).getOutline();
              Rectangle2D b = outline.getBounds2D();
              if (b.getHeight() <= 0 || b.getWidth() <= 0) {
                return null;
              }
              AffineTransform norm = AffineTransform.getScaleInstance(1 / b.getHeight(), 1 / b.getHeight());
              norm.translate(-b.getCenterX(), -b.getCenterY());
              out[f * STYLES.length + s][d] = new Path2D.Double(outline, norm);
            }
          }
        }
        return out;
      } catch (Exception | Error e) {
        // No fonts or no fontconfig (a bare container): fall back to pen-stroke digits only.
        return null;
      }
    }
  }

  // ------------------------------------------------------------------------------------ rendering

  /** Per-thread drawing state: a canvas and scratch arrays. */
  private static final class Renderer {
    private final BufferedImage canvas = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
    private final byte[] canvasPixels = ((DataBufferByte) canvas.getRaster().getDataBuffer()).getData();
    private final Graphics2D g = canvas.createGraphics();
    private final float[] out = new float[SIZE * SIZE];
    private final float[] small = new float[(SIZE + 2) * (SIZE + 2)];
    private final double[] fx1 = new double[SIZE];
    private final double[] fy1 = new double[SIZE];
    private final double[] fx2 = new double[SIZE];
    private final double[] fy2 = new double[SIZE];

    Renderer() {
      // Antialiasing computes each pixel's coverage from sub-samples, so drawing larger and
      // averaging down would add only cost.
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    }

    /** Draws example {@code index} into {@code dst} at {@code at}; returns its label. */
    int render(long seed, boolean test, int index, byte[] dst, int at) {
      SplittableRandom rng = new SplittableRandom(
          mix(mix(seed) ^ (test ? 0x5DEECE66DL : 0x2545F4914F6CDD1DL) + index * 0x9E3779B97F4A7C15L));
      int label = rng.nextInt(CLASSES);
      java.util.Arrays.fill(canvasPixels, (byte) 0);
      g.setColor(Color.WHITE);

      // Geometry, in canvas pixels: height of the digit, aspect, rotation, shear, offset.
      double height = uniform(rng, 0.62, 0.80) * SIZE;
      double aspect = uniform(rng, 0.80, 1.20);
      double angle = Math.toRadians(uniform(rng, -18, 18));
      double shear = uniform(rng, -0.25, 0.25);
      double dx = uniform(rng, -2.5, 2.5);
      double dy = uniform(rng, -2.0, 2.0);
      AffineTransform t = new AffineTransform();
      t.translate(SIZE / 2.0 + dx, SIZE / 2.0 + dy);
      t.rotate(angle);
      t.shear(shear, 0);
      t.scale(height * aspect, height);

      boolean font = Glyphs.OUTLINES != null && rng.nextDouble() < 0.6;
      if (font) {
        Shape glyph = Glyphs.OUTLINES[rng.nextInt(Glyphs.OUTLINES.length)][label];
        Shape placed = t.createTransformedShape(glyph);
        g.fill(placed);
        double extra = rng.nextDouble() < 0.5 ? 0 : uniform(rng, 0.3, 1.5);
        if (extra > 0) {
          g.setStroke(new BasicStroke((float) extra, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
          g.draw(placed);
        }
      } else {
        Path2D pen = Strokes.digit(label, rng);
        // Pen digits are drawn in a [0, 0.6] x [0, 1] box: centre it first.
        Rectangle2D b = pen.getBounds2D();
        AffineTransform center = new AffineTransform(t);
        double s = 1 / Math.max(b.getHeight(), 1e-6);
        center.scale(s, s);
        center.translate(-b.getCenterX(), -b.getCenterY());
        Shape placed = center.createTransformedShape(pen);
        float width = (float) (uniform(rng, 1.1, 2.8));
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(placed);
      }

      // Stray marks: short faint strokes elsewhere in a quarter of the images.
      if (rng.nextDouble() < 0.25) {
        int marks = 1 + rng.nextInt(2);
        for (int m = 0; m < marks; m++) {
          int gray = (int) uniform(rng, 60, 140);
          g.setColor(new Color(gray, gray, gray));
          g.setStroke(new BasicStroke((float) uniform(rng, 1.0, 2.5), BasicStroke.CAP_ROUND,
              BasicStroke.JOIN_ROUND));
          double x0 = uniform(rng, 0, SIZE);
          double y0 = uniform(rng, 0, SIZE);
          double len = uniform(rng, 2, 7);
          double a = uniform(rng, 0, 2 * Math.PI);
          g.draw(new java.awt.geom.Line2D.Double(x0, y0, x0 + len * StrictMath.cos(a),
              y0 + len * StrictMath.sin(a)));
        }
      }

      // Elastic distortion: a smooth displacement field (separable sinusoids) applied with
      // bilinear sampling.
      double amp = uniform(rng, 0.0, 1.3);
      field(rng, fx1, fy1, amp);
      field(rng, fx2, fy2, amp);
      double contrast = uniform(rng, 0.70, 1.0);
      double sigma = uniform(rng, 0.0, 0.07);
      copyCanvas();
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          double u = x + fx1[x] * fy1[y];
          double v = y + fx2[x] * fy2[y];
          out[y * SIZE + x] = (float) (sample(u, v) * contrast);
        }
      }
      for (int i = 0; i < out.length; i++) {
        double p = out[i] + (sigma > 0 ? sigma * rng.nextGaussian() : 0);
        p = p < 0 ? 0 : (p > 1 ? 1 : p);
        dst[at + i] = (byte) (int) Math.round(p * 255);
      }
      return label;
    }

    /** Fills {@code xs[x] * ys[y]} tables whose product is one component of the displacement. */
    private static void field(SplittableRandom rng, double[] xs, double[] ys, double amp) {
      double kx = 2 * Math.PI / uniform(rng, 10, 30);
      double ky = 2 * Math.PI / uniform(rng, 10, 30);
      double px = uniform(rng, 0, 2 * Math.PI);
      double py = uniform(rng, 0, 2 * Math.PI);
      for (int i = 0; i < SIZE; i++) {
        xs[i] = amp * StrictMath.sin(kx * i + px);
        ys[i] = StrictMath.cos(ky * i + py);
      }
    }

    /** Copies the canvas into {@code small}, scaled to [0, 1], inside a zero border 1 pixel wide. */
    private void copyCanvas() {
      int w = SIZE + 2;
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          small[(y + 1) * w + x + 1] = (canvasPixels[y * SIZE + x] & 0xff) * (1f / 255);
        }
      }
    }

    /**
     * Bilinear read of the drawn image at pixel coordinates {@code (u, v)} (pixel {@code x}
     * sits at {@code u = x}); fades to 0 beyond the border.
     */
    private double sample(double u, double v) {
      double fu = u + 1; // the border
      double fv = v + 1;
      int x0 = (int) Math.floor(fu);
      int y0 = (int) Math.floor(fv);
      if (x0 < 0 || y0 < 0 || x0 > SIZE || y0 > SIZE) {
        return 0;
      }
      double ax = fu - x0;
      double ay = fv - y0;
      int w = SIZE + 2;
      int at = y0 * w + x0;
      return (1 - ay) * ((1 - ax) * small[at] + ax * small[at + 1])
          + ay * ((1 - ax) * small[at + w] + ax * small[at + w + 1]);
    }
  }

  private static double uniform(SplittableRandom rng, double lo, double hi) {
    return lo + (hi - lo) * rng.nextDouble();
  }

  // ------------------------------------------------------------------------------------ pen digits

  /**
   * Handwriting-like digits as pen paths in a box about 0.6 wide and 1 high (y down), every point
   * jittered a little so no two are alike.
   */
  private static final class Strokes {
    private static final double K = 0.5523; // cubic Bezier approximation of a quarter circle

    /** A path builder that jitters every point it is given. */
    private static final class Pen {
      final Path2D.Double path = new Path2D.Double();
      final SplittableRandom rng;
      final double jitter;
      // A smooth warp shared by all points, plus independent per-point noise.
      final double wx;
      final double wy;
      final double phase;

      Pen(SplittableRandom rng) {
        this.rng = rng;
        this.jitter = uniform(rng, 0.0, 0.035);
        this.wx = uniform(rng, -0.06, 0.06);
        this.wy = uniform(rng, -0.06, 0.06);
        this.phase = uniform(rng, 0, 2 * Math.PI);
      }

      private double jx(double x, double y) {
        return x + wx * StrictMath.sin(3 * y + phase) + jitter * rng.nextGaussian();
      }

      private double jy(double x, double y) {
        return y + wy * StrictMath.sin(4 * x + phase) + jitter * rng.nextGaussian();
      }

      Pen move(double x, double y) {
        path.moveTo(jx(x, y), jy(x, y));
        return this;
      }

      Pen line(double x, double y) {
        path.lineTo(jx(x, y), jy(x, y));
        return this;
      }

      Pen curve(double x1, double y1, double x2, double y2, double x3, double y3) {
        path.curveTo(jx(x1, y1), jy(x1, y1), jx(x2, y2), jy(x2, y2), jx(x3, y3), jy(x3, y3));
        return this;
      }

      /** An ellipse traced clockwise from the top, its end slightly overshooting the start. */
      Pen ellipse(double cx, double cy, double rx, double ry) {
        move(cx, cy - ry);
        curve(cx + K * rx, cy - ry, cx + rx, cy - K * ry, cx + rx, cy);
        curve(cx + rx, cy + K * ry, cx + K * rx, cy + ry, cx, cy + ry);
        curve(cx - K * rx, cy + ry, cx - rx, cy + K * ry, cx - rx, cy);
        curve(cx - rx, cy - K * ry, cx - K * rx, cy - ry, cx + 0.04, cy - ry - 0.01);
        return this;
      }
    }

    static Path2D digit(int d, SplittableRandom rng) {
      Pen p = new Pen(rng);
      int v = rng.nextInt(3);
      switch (d) {
        case 0 -> {
          double rx = uniform(rng, 0.22, 0.30);
          p.ellipse(0.3, 0.5, rx, 0.48);
        }
        case 1 -> {
          if (v >= 1) {
            p.move(0.12, 0.22).line(0.32, 0.0).line(0.32, 1.0);
          } else {
            p.move(0.3, 0.0).line(0.3, 1.0);
          }
          if (v == 2) {
            p.move(0.12, 1.0).line(0.52, 1.0);
          }
        }
        case 2 -> {
          p.move(0.04, 0.24).curve(0.08, -0.04, 0.56, -0.06, 0.55, 0.27);
          if (v == 2) {
            // A looped foot: the stroke curls before running right.
            p.curve(0.54, 0.52, 0.10, 0.80, 0.02, 0.98).curve(0.10, 0.86, 0.22, 0.88, 0.30, 0.96)
                .line(0.60, 0.98);
          } else {
            p.curve(0.54, 0.52, 0.12, 0.78, 0.02, 1.0).line(0.60, 0.99);
          }
        }
        case 3 -> {
          p.move(0.04, 0.12).curve(0.20, -0.05, 0.56, -0.02, 0.52, 0.22)
              .curve(0.50, 0.40, 0.32, 0.46, 0.20, 0.47);
          p.curve(0.50, 0.46, 0.62, 0.62, 0.58, 0.76).curve(0.52, 1.02, 0.14, 1.02, 0.02, 0.86);
        }
        case 4 -> {
          if (v == 0) {
            p.move(0.44, 1.0).line(0.44, 0.0).line(0.0, 0.66).line(0.60, 0.66);
          } else {
            p.move(0.10, 0.0).line(0.04, 0.60).line(0.60, 0.60);
            p.move(0.46, 0.22).line(0.46, 1.0);
          }
        }
        case 5 -> {
          p.move(0.56, 0.0).line(0.12, 0.0).line(0.08, 0.44)
              .curve(0.30, 0.30, 0.62, 0.38, 0.58, 0.68).curve(0.56, 0.98, 0.16, 1.04, 0.02, 0.86);
          if (v == 2) {
            p.move(0.12, 0.0).line(0.12, 0.01);
          }
        }
        case 6 -> {
          p.move(0.50, 0.02).curve(0.22, 0.06, 0.04, 0.36, 0.05, 0.66)
              .curve(0.06, 0.98, 0.54, 1.02, 0.56, 0.72).curve(0.57, 0.46, 0.16, 0.42, 0.06, 0.64);
        }
        case 7 -> {
          p.move(0.02, 0.02).line(0.58, 0.02);
          if (v == 0) {
            p.line(0.20, 1.0);
          } else {
            p.curve(0.40, 0.30, 0.30, 0.60, 0.26, 1.0);
          }
          if (v == 2) {
            p.move(0.14, 0.52).line(0.52, 0.50);
          }
        }
        case 8 -> {
          p.ellipse(0.3, 0.25, 0.20, 0.24);
          p.ellipse(0.3, 0.73, 0.27, 0.27);
        }
        case 9 -> {
          p.ellipse(0.28, 0.28, 0.25, 0.27);
          if (v == 0) {
            p.move(0.53, 0.26).line(0.48, 1.0);
          } else {
            p.move(0.53, 0.26).curve(0.56, 0.70, 0.40, 1.02, 0.10, 0.94);
          }
        }
        default -> throw new IllegalStateException("synthetic_digits: no digit " + d);
      }
      return p.path;
    }

    private Strokes() {}
  }

  /** Returns the JDK logical font families the glyphs come from. */
  public static List<String> fontFamilies() {
    return List.of(FAMILIES);
  }
}
