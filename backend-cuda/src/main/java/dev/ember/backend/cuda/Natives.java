package dev.ember.backend.cuda;

/** Turns JCuda's many-line native-loading errors into one line that names the missing library. */
final class Natives {
  private Natives() {}

  /**
   * Returns the most telling line of a linkage error: the dynamic linker's complaint (such as
   * {@code libcuda.so.1: cannot open shared object file: No such file or directory}) if the
   * message holds one, else its first line.
   */
  static String reason(Throwable e) {
    String msg = String.valueOf(e.getMessage());
    for (String line : msg.split("\n")) {
      if (line.contains("cannot open shared object file") || line.contains("undefined symbol")
          || line.contains("version `")) {
        int so = line.indexOf(".so: ");
        return so >= 0 ? line.substring(so + 5).trim() : line.trim();
      }
    }
    int nl = msg.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? msg : msg.substring(0, nl));
  }
}
