package dev.ember.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader for the golden file (objects, arrays, numbers as Double, strings without
 * escapes beyond the simple ones, booleans, null, and Python's NaN/Infinity).
 */
final class MiniJson {
  private final String s;
  private int i;

  private MiniJson(String s) {
    this.s = s;
  }

  static Object parse(String text) {
    return new MiniJson(text).value();
  }

  private void space() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private Object value() {
    space();
    char c = s.charAt(i);
    if (c == '{') {
      Map<String, Object> m = new LinkedHashMap<>();
      i++;
      space();
      if (s.charAt(i) == '}') {
        i++;
        return m;
      }
      while (true) {
        space();
        String key = (String) value();
        space();
        i++; // ':'
        m.put(key, value());
        space();
        if (s.charAt(i++) == '}') {
          return m;
        }
      }
    }
    if (c == '[') {
      List<Object> a = new ArrayList<>();
      i++;
      space();
      if (s.charAt(i) == ']') {
        i++;
        return a;
      }
      while (true) {
        a.add(value());
        space();
        if (s.charAt(i++) == ']') {
          return a;
        }
      }
    }
    if (c == '"') {
      StringBuilder b = new StringBuilder();
      i++;
      while (s.charAt(i) != '"') {
        char ch = s.charAt(i++);
        b.append(ch == '\\' ? s.charAt(i++) : ch);
      }
      i++;
      return b.toString();
    }
    for (String word : new String[] {"true", "false", "null", "NaN", "Infinity", "-Infinity"}) {
      if (s.startsWith(word, i)) {
        i += word.length();
        return switch (word) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          case "null" -> null;
          case "NaN" -> Double.NaN;
          case "Infinity" -> Double.POSITIVE_INFINITY;
          default -> Double.NEGATIVE_INFINITY;
        };
      }
    }
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return Double.parseDouble(s.substring(start, i));
  }
}
