package dev.ember.nn;

/**
 * Thrown by {@link Module#loadStateDict} when a checkpoint doesn't fit the module; {@link
 * #report()} lists missing, unexpected and mis-shaped keys.
 */
public final class StateDictException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final transient LoadReport report;

  /** Creates the exception for {@code moduleName} from {@code report}. */
  public StateDictException(String moduleName, LoadReport report) {
    super("loadStateDict: error(s) in loading state_dict for " + moduleName + ": " + report);
    this.report = report;
  }

  /** Returns the keys that didn't match. */
  public LoadReport report() {
    return report;
  }
}
