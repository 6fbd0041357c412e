import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.security.MessageDigest;

/**
 * Prints which fonts Java2D resolves for the logical families SyntheticDigits draws with, and a
 * digest of the first synthetic training images, so a run there can be compared with one here
 * (same digest: same pixels, same data set). Used by scripts/gpu-bundle.sh and gpu-check.sh.
 */
public final class FontCheck {
  private FontCheck() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    StringBuilder sb = new StringBuilder();
    for (String family : new String[] {Font.SANS_SERIF, Font.SERIF, Font.MONOSPACED}) {
      String name;
      try {
        Font f = new Font(family, Font.PLAIN, 12);
        f.createGlyphVector(new FontRenderContext(null, true, true), "0").getOutline();
        name = f.getFontName();
      } catch (Throwable t) {
        name = "FAILED (" + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
      }
      sb.append(family).append(" -> ").append(name).append("; ");
    }
    String digest;
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (int i = 0; i < 64; i++) {
        md.update(dev.ember.data.SyntheticDigits.sample(dev.ember.data.SyntheticDigits.DEFAULT_SEED, false, i).pixels());
      }
      byte[] h = md.digest();
      digest = String.format("%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4], h[5]);
    } catch (Throwable t) {
      digest = "FAILED (" + t + ")";
    }
    System.out.println("fonts: " + sb + "usesFonts=" + safeUsesFonts() + "; digits sha256[0:12]=" + digest);
  }

  private static String safeUsesFonts() {
    try {
      return String.valueOf(dev.ember.data.SyntheticDigits.usesFonts());
    } catch (Throwable t) {
      return "n/a";
    }
  }
}
