package dev.ember.optim;

import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Flattens an optimizer state dict into tensors and string scalars (for {@code dev.ember.io}
 * checkpoints) and back. Keys: {@code state.<index>.<name>} for state entries, {@code
 * param_groups.<group>.<option>} for options (arrays as comma-separated numbers, {@code params} as
 * well). Numbers use {@link Double#toString}, which round-trips exactly. Package-private.
 */
final class FlatState {
  private FlatState() {}

  @SuppressWarnings("unchecked")
  static LinkedHashMap<String, Tensor> tensors(Map<String, Object> stateDict) {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    ((Map<Integer, Map<String, Object>>) stateDict.get("state")).forEach((i, s) -> s.forEach((k, v) -> {
      if (v instanceof Tensor t) {
        out.put("state." + i + "." + k, t);
      }
    }));
    return out;
  }

  @SuppressWarnings("unchecked")
  static LinkedHashMap<String, String> scalars(Map<String, Object> stateDict) {
    LinkedHashMap<String, String> out = new LinkedHashMap<>();
    ((Map<Integer, Map<String, Object>>) stateDict.get("state")).forEach((i, s) -> s.forEach((k, v) -> {
      if (!(v instanceof Tensor)) {
        out.put("state." + i + "." + k, format(v));
      }
    }));
    List<Map<String, Object>> groups = (List<Map<String, Object>>) stateDict.get("param_groups");
    for (int g = 0; g < groups.size(); g++) {
      for (Map.Entry<String, Object> e : groups.get(g).entrySet()) {
        out.put("param_groups." + g + "." + e.getKey(), format(e.getValue()));
      }
    }
    return out;
  }

  private static String format(Object v) {
    if (v instanceof double[] a) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < a.length; i++) {
        sb.append(i == 0 ? "" : ",").append(a[i]);
      }
      return sb.append(']').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < l.size(); i++) {
        sb.append(i == 0 ? "" : ",").append(l.get(i));
      }
      return sb.append('}').toString();
    }
    return String.valueOf(v);
  }

  private static Object parse(String s) {
    if (s.equals("true") || s.equals("false")) {
      return Boolean.valueOf(s);
    }
    if (s.startsWith("[")) {
      String body = s.substring(1, s.length() - 1);
      return body.isEmpty() ? new double[0] : Arrays.stream(body.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
    if (s.startsWith("{")) {
      String body = s.substring(1, s.length() - 1);
      List<Integer> ids = new ArrayList<>();
      for (String p : body.isEmpty() ? new String[0] : body.split(",")) {
        ids.add(Integer.parseInt(p));
      }
      return ids;
    }
    return Double.parseDouble(s);
  }

  /** Rebuilds the structured state dict from flattened tensors and scalars. */
  static LinkedHashMap<String, Object> unflatten(Map<String, Tensor> tensors, Map<String, String> scalars) {
    TreeMap<Integer, Map<String, Object>> state = new TreeMap<>();
    TreeMap<Integer, Map<String, Object>> groups = new TreeMap<>();
    tensors.forEach((k, v) -> put(state, k, "state.", v));
    scalars.forEach((k, v) -> {
      if (k.startsWith("state.")) {
        put(state, k, "state.", parse(v));
      } else if (k.startsWith("param_groups.")) {
        put(groups, k, "param_groups.", parse(v));
      }
    });
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    out.put("state", new LinkedHashMap<>(state));
    out.put("param_groups", new ArrayList<>(groups.values()));
    return out;
  }

  private static void put(TreeMap<Integer, Map<String, Object>> into, String key, String prefix, Object value) {
    if (!key.startsWith(prefix)) {
      throw new IllegalArgumentException("loadStateDict: unexpected key '" + key + "' (expected " + prefix
          + "<index>.<name>)");
    }
    String rest = key.substring(prefix.length());
    int dot = rest.indexOf('.');
    if (dot < 0) {
      throw new IllegalArgumentException("loadStateDict: malformed key '" + key + "'");
    }
    into.computeIfAbsent(Integer.parseInt(rest.substring(0, dot)), i -> new LinkedHashMap<>())
        .put(rest.substring(dot + 1), value);
  }
}
