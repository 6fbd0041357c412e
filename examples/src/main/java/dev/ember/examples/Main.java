package dev.ember.examples;

import java.util.Arrays;

/** Entry point of {@code ./ember}: {@code train} (the CNN demo) and {@code gpt} (char-level GPT). */
public final class Main {
  private Main() {}

  /** Runs a subcommand. */
  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    try {
      switch (command) {
        case "train" -> TrainCnn.run(rest, System.out);
        case "gpt" -> CharGpt.run(rest, System.out);
        default -> {
          System.out.println("usage: ./ember train [--help] | ./ember gpt --text FILE [--help]");
          System.out.print(TrainCnn.usage());
          System.out.print(CharGpt.usage());
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("ember: " + e.getMessage());
      System.exit(2);
    }
  }
}
