package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import dev.ember.optim.ParamGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts the learning rate when a metric stops improving, PyTorch's {@code ReduceLROnPlateau}: after
 * more than {@code patience} epochs without improvement, each group's rate becomes {@code max(lr *
 * factor, minLr)} (changes smaller than {@code eps} are skipped), then {@code cooldown} epochs pass
 * before bad epochs count again.
 *
 * <p>Improvement, for mode {@code "min"}: {@code metric < best (1 - threshold)} (relative) or
 * {@code metric < best - threshold} (absolute); for {@code "max"} mirrored.
 */
public final class ReduceLROnPlateau {
  private final Optimizer optimizer;
  private final boolean minimize;
  private final double factor;
  private final int patience;
  private final double threshold;
  private final boolean relative;
  private final int cooldown;
  private final double minLr;
  private final double eps;
  private double best;
  private int numBadEpochs;
  private int cooldownCounter;
  private int lastEpoch;
  private double[] lastLr;

  /** Creates PyTorch's defaults: min mode, factor 0.1, patience 10, threshold 1e-4 relative. */
  public ReduceLROnPlateau(Optimizer optimizer) {
    this(optimizer, "min", 0.1, 10, 1e-4, "rel", 0, 0, 1e-8);
  }

  /**
   * Creates the scheduler (PyTorch's argument order).
   *
   * @param mode {@code "min"} (lower is better) or {@code "max"}
   * @param factor in [0, 1): the multiplier on a reduction
   * @param thresholdMode {@code "rel"} or {@code "abs"}
   * @param minLr a lower bound on every group's rate
   */
  public ReduceLROnPlateau(Optimizer optimizer, String mode, double factor, int patience, double threshold,
      String thresholdMode, int cooldown, double minLr, double eps) {
    if (!(factor < 1.0 && factor >= 0)) {
      throw new IllegalArgumentException("ReduceLROnPlateau: factor should be < 1.0, got " + factor);
    }
    if (!mode.equals("min") && !mode.equals("max")) {
      throw new IllegalArgumentException("ReduceLROnPlateau: mode " + mode + " is unknown");
    }
    if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
      throw new IllegalArgumentException("ReduceLROnPlateau: threshold mode " + thresholdMode + " is unknown");
    }
    this.optimizer = optimizer;
    this.minimize = mode.equals("min");
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.relative = thresholdMode.equals("rel");
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.eps = eps;
    this.best = minimize ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    this.lastEpoch = 0;
    this.lastLr = currentLrs();
  }

  private double[] currentLrs() {
    return optimizer.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
  }

  private boolean isBetter(double a) {
    if (minimize) {
      return relative ? a < best * (1 - threshold) : a < best - threshold;
    }
    return relative ? a > best * (threshold + 1) : a > best + threshold;
  }

  /**
   * Records one epoch's {@code metric} (e.g. validation loss) and reduces the rates if it
   * plateaued.
   */
  public void step(double metric) {
    lastEpoch++;
    if (isBetter(metric)) {
      best = metric;
      numBadEpochs = 0;
    } else {
      numBadEpochs++;
    }
    if (cooldownCounter > 0) {
      cooldownCounter--;
      numBadEpochs = 0;
    }
    if (numBadEpochs > patience) {
      for (ParamGroup g : optimizer.paramGroups()) {
        double old = g.lr();
        double updated = Math.max(old * factor, minLr);
        if (old - updated > eps) {
          g.setLr(updated);
        }
      }
      cooldownCounter = cooldown;
      numBadEpochs = 0;
    }
    lastLr = currentLrs();
  }

  /** Returns the rates after the last step, one per group. */
  public double[] getLastLr() {
    return lastLr.clone();
  }

  /**
   * Returns the progress: {@code best}, {@code num_bad_epochs}, {@code cooldown_counter}, {@code
   * last_epoch}, {@code _last_lr}.
   */
  public LinkedHashMap<String, Object> stateDict() {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    out.put("best", best);
    out.put("num_bad_epochs", numBadEpochs);
    out.put("cooldown_counter", cooldownCounter);
    out.put("last_epoch", lastEpoch);
    out.put("_last_lr", lastLr.clone());
    return out;
  }

  /** Restores a {@link #stateDict()}. */
  public void loadStateDict(Map<String, Object> state) {
    best = ((Number) state.get("best")).doubleValue();
    numBadEpochs = ((Number) state.get("num_bad_epochs")).intValue();
    cooldownCounter = ((Number) state.get("cooldown_counter")).intValue();
    lastEpoch = ((Number) state.get("last_epoch")).intValue();
    lastLr = ((double[]) state.get("_last_lr")).clone();
  }

  /** Returns the groups' current rates as a list, for logging. */
  public List<Double> currentLr() {
    return optimizer.paramGroups().stream().map(ParamGroup::lr).toList();
  }
}
