package dev.ember.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Arrays;

/** Entry point of {@code ./ember}: {@code train} (the CNN demo) and {@code gpt} (char-level GPT). */
public final class Main {
  /** The exit status for bad arguments and for files that cannot be read or written. */
  static final int USAGE_ERROR = 2;

  private Main() {}

  /** Runs a subcommand and exits with {@link #run}'s status when it is not 0. */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs a subcommand, printing to {@code out}; returns the exit status: 0 on success, {@value
   * #USAGE_ERROR} with one line {@code "ember: <problem>"} on {@code err} for bad arguments, bad
   * checkpoints or data files, and files that cannot be read or written. Anything else is a bug
   * and propagates with its stack trace.
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    try {
      switch (command) {
        case "train" -> TrainCnn.run(rest, out);
        case "gpt" -> CharGpt.run(rest, out);
        default -> {
          out.println("usage: ./ember train [--help] | ./ember gpt --text FILE [--help]");
          out.print(TrainCnn.usage());
          out.print(CharGpt.usage());
        }
      }
      return 0;
    } catch (IllegalArgumentException | IOException e) {
      err.println("ember: " + describe(e));
      return USAGE_ERROR;
    } catch (UncheckedIOException e) {
      err.println("ember: " + describe(e.getCause()));
      return USAGE_ERROR;
    }
  }

  /**
   * Returns a one-line description of {@code e} that names the file involved: the JDK's file
   * exceptions carry only a path when they have no reason.
   */
  static String describe(Exception e) {
    if (e instanceof FileSystemException f && f.getReason() == null) {
      String what = e instanceof NoSuchFileException ? "no such file or directory"
          : e instanceof AccessDeniedException ? "permission denied"
          : e instanceof FileAlreadyExistsException ? "already exists"
          : e instanceof NotDirectoryException ? "not a directory"
          : "file system error (" + e.getClass().getSimpleName() + ")";
      return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + what;
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.toString() : m;
  }
}
