package dev.ember.nn;

import java.util.List;

/**
 * What {@link Module#loadStateDict} found, PyTorch's {@code _IncompatibleKeys} plus shape errors.
 *
 * @param missingKeys keys the module has but the checkpoint lacks
 * @param unexpectedKeys keys the checkpoint has but the module lacks
 * @param mismatchedShapes one line per key present in both with different shapes
 */
public record LoadReport(List<String> missingKeys, List<String> unexpectedKeys, List<String> mismatchedShapes) {
  /** Copies the lists. */
  public LoadReport {
    missingKeys = List.copyOf(missingKeys);
    unexpectedKeys = List.copyOf(unexpectedKeys);
    mismatchedShapes = List.copyOf(mismatchedShapes);
  }

  /** Returns whether every key matched in name and shape. */
  public boolean isClean() {
    return missingKeys.isEmpty() && unexpectedKeys.isEmpty() && mismatchedShapes.isEmpty();
  }

  /**
   * Returns PyTorch's style of report: {@code Missing key(s): "a", "b". Unexpected key(s): ...}.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    append(sb, "Missing key(s) in state_dict: ", missingKeys, true);
    append(sb, "Unexpected key(s) in state_dict: ", unexpectedKeys, true);
    append(sb, "Size mismatch: ", mismatchedShapes, false);
    return sb.length() == 0 ? "all keys matched" : sb.toString().trim();
  }

  private static void append(StringBuilder sb, String title, List<String> keys, boolean quote) {
    if (keys.isEmpty()) {
      return;
    }
    sb.append(title);
    for (int i = 0; i < keys.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(quote ? "\"" + keys.get(i) + "\"" : keys.get(i));
    }
    sb.append(". ");
  }
}
