package dev.ember.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a data file (IDX, CSV) is truncated, corrupt or not in the expected format. The
 * message names the reader, the file and the problem: {@code "mnist: /data/train-images.gz: bad
 * magic number 0x00000801, expected 0x00000803 (IDX unsigned-byte images)"}.
 *
 * @since 0.1
 */
public class DataFileException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception from reader {@code reader} about {@code file}. */
  public DataFileException(String reader, Path file, String problem) {
    super(reader + ": " + file + ": " + problem);
  }

  /** Creates an exception from reader {@code reader} about {@code file}, with its cause. */
  public DataFileException(String reader, Path file, String problem, Throwable cause) {
    super(reader + ": " + file + ": " + problem, cause);
  }
}
