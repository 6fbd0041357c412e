package dev.ember.optim;

import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A set of parameters with its own hyper-parameters, PyTorch's {@code param_group} dict. Options are
 * keyed by PyTorch's names ({@code "lr"}, {@code "momentum"}, {@code "weight_decay"}, {@code
 * "betas"}, ...); values are {@link Double}, {@link Boolean} or {@code double[]} (for {@code
 * betas}). Options not set here are filled from the optimizer's defaults when the group is added.
 *
 * <pre>{@code
 * new SGD(SGD.options(0.1).withMomentum(0.9), List.of(
 *     ParamGroup.of(backbone.parameters()).set("lr", 0.01),   // its own learning rate
 *     ParamGroup.of(head.parameters())));                      // the defaults
 * }</pre>
 *
 * <p>Schedulers change options (notably {@code "lr"}) while training; {@link #set} accepts any key
 * after the group joins an optimizer, as PyTorch's dict does (e.g. {@code "initial_lr"}).
 */
public final class ParamGroup {
  private final List<Tensor> params;
  private final LinkedHashMap<String, Object> options = new LinkedHashMap<>();

  private ParamGroup(List<Tensor> params) {
    this.params = List.copyOf(params);
  }

  /** Returns a group of {@code params} with no options of its own yet. */
  public static ParamGroup of(List<Tensor> params) {
    if (params.isEmpty()) {
      throw new IllegalArgumentException("ParamGroup: optimizer got an empty parameter list");
    }
    return new ParamGroup(params);
  }

  /** Returns the parameters, in order. */
  public List<Tensor> params() {
    return params;
  }

  /**
   * Sets an option; returns this.
   *
   * @param value a {@link Number} (stored as Double), a Boolean or a {@code double[]}
   */
  public ParamGroup set(String key, Object value) {
    Object v = value;
    if (value instanceof Number n) {
      v = n.doubleValue();
    } else if (value instanceof double[] a) {
      v = a.clone();
    } else if (!(value instanceof Boolean)) {
      throw new IllegalArgumentException("ParamGroup: option '" + key + "' must be a number, boolean or double[],"
          + " got " + (value == null ? "null" : value.getClass().getSimpleName()));
    }
    options.put(key, v);
    return this;
  }

  /** Returns whether the option {@code key} is set. */
  public boolean has(String key) {
    return options.containsKey(key);
  }

  /** Returns the option {@code key} as stored (arrays are copied). */
  public Object get(String key) {
    Object v = require(key);
    return v instanceof double[] a ? a.clone() : v;
  }

  /** Returns a numeric option. */
  public double getDouble(String key) {
    Object v = require(key);
    if (!(v instanceof Double d)) {
      throw new IllegalArgumentException("ParamGroup: option '" + key + "' is not a number: " + v);
    }
    return d;
  }

  /** Returns a boolean option. */
  public boolean getBoolean(String key) {
    Object v = require(key);
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException("ParamGroup: option '" + key + "' is not a boolean: " + v);
    }
    return b;
  }

  /** Returns an array option such as {@code betas} (a copy). */
  public double[] getArray(String key) {
    Object v = require(key);
    if (!(v instanceof double[] a)) {
      throw new IllegalArgumentException("ParamGroup: option '" + key + "' is not an array: " + v);
    }
    return a.clone();
  }

  /** Returns the learning rate, option {@code "lr"}. */
  public double lr() {
    return getDouble("lr");
  }

  /** Sets the learning rate, option {@code "lr"}. */
  public void setLr(double lr) {
    options.put("lr", lr);
  }

  /** Returns the options (read-only view; arrays are shared, don't modify them). */
  public Map<String, Object> options() {
    return Collections.unmodifiableMap(options);
  }

  /** Returns a copy of the options with arrays copied, for state dicts. */
  LinkedHashMap<String, Object> copyOptions() {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    options.forEach((k, v) -> out.put(k, v instanceof double[] a ? a.clone() : v));
    return out;
  }

  /** Returns the keys set on this group. */
  List<String> keys() {
    return new ArrayList<>(options.keySet());
  }

  private Object require(String key) {
    Object v = options.get(key);
    if (v == null) {
      throw new IllegalArgumentException("ParamGroup: no option '" + key + "' (has " + options.keySet() + ")");
    }
    return v;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ParamGroup(").append(params.size()).append(" params");
    options.forEach((k, v) -> sb.append(", ").append(k).append('=')
        .append(v instanceof double[] a ? java.util.Arrays.toString(a) : v));
    return sb.append(')').toString();
  }
}
