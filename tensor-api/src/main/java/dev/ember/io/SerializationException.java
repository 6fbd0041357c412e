package dev.ember.io;

import java.io.IOException;

/**
 * Thrown when {@link Serialization#load} reads a file or stream that is not an Ember save file or is
 * corrupt. The message names the source and where in the saved object the problem is: {@code
 * "load: /tmp/ckpt.ember: the value at [\"optim\"][0]: unknown type tag 'pickle'"}.
 */
public class SerializationException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception for {@code source} (a path, or {@code <stream>}) describing {@code problem}. */
  public SerializationException(String source, String problem) {
    super("load: " + source + ": " + problem);
  }

  /** Creates an exception for {@code source} describing {@code problem}, with its cause. */
  public SerializationException(String source, String problem, Throwable cause) {
    super("load: " + source + ": " + problem, cause);
  }
}
