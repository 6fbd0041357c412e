package dev.ember.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a file is not valid safetensors, or is valid but holds something Ember cannot load
 * (an unsupported dtype, a tensor too large for one Java array). The message names the file and the
 * problem: {@code "safetensors: /tmp/model.safetensors: tensor 'fc1.weight': shape [16, 12] of F32
 * needs 768 bytes but data_offsets [0, 700] give 700"}.
 *
 * @since 0.1
 */
public class SafetensorsException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception for {@code file} describing {@code problem}. */
  public SafetensorsException(Path file, String problem) {
    super("safetensors: " + file + ": " + problem);
  }

  /** Creates an exception for {@code file} describing {@code problem}, with its cause. */
  public SafetensorsException(Path file, String problem, Throwable cause) {
    super("safetensors: " + file + ": " + problem, cause);
  }
}
