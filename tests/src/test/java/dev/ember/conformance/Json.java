package dev.ember.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small recursive-descent JSON reader for the golden files: objects become {@code
 * LinkedHashMap<String, Object>}, arrays {@code ArrayList<Object>}, numbers {@code Double} (or
 * {@code Long} when integral without exponent or fraction), plus {@code String}, {@code Boolean}
 * and null. Also accepts the non-standard {@code NaN}, {@code Infinity} and {@code -Infinity} that
 * Python's json module writes.
 */
final class Json {
  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  /** Parses a complete JSON text. */
  static Object parse(String text) {
    Json p = new Json(text);
    Object v = p.value();
    p.skipSpace();
    if (p.i != p.s.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  private IllegalArgumentException error(String what) {
    int from = Math.max(0, i - 20);
    return new IllegalArgumentException("json: " + what + " at offset " + i + " near '"
        + s.substring(from, Math.min(s.length(), i + 20)) + "'");
  }

  private void skipSpace() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private Object value() {
    skipSpace();
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      case 'N':
        return literal("NaN", Double.NaN);
      case 'I':
        return literal("Infinity", Double.POSITIVE_INFINITY);
      default:
        return number();
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw error("expected " + word);
    }
    i += word.length();
    return v;
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    skipSpace();
    if (s.charAt(i) == '}') {
      i++;
      return m;
    }
    while (true) {
      skipSpace();
      if (s.charAt(i) != '"') {
        throw error("expected a key");
      }
      String key = string();
      skipSpace();
      if (s.charAt(i++) != ':') {
        throw error("expected ':'");
      }
      m.put(key, value());
      skipSpace();
      char c = s.charAt(i++);
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  private List<Object> array() {
    List<Object> a = new ArrayList<>();
    i++;
    skipSpace();
    if (s.charAt(i) == ']') {
      i++;
      return a;
    }
    while (true) {
      a.add(value());
      skipSpace();
      char c = s.charAt(i++);
      if (c == ']') {
        return a;
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    StringBuilder b = new StringBuilder();
    i++;
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(i++);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> b.append(e);
      }
    }
  }

  private Object number() {
    int start = i;
    if (s.charAt(i) == '-') {
      i++;
      if (s.startsWith("Infinity", i)) {
        i += "Infinity".length();
        return Double.NEGATIVE_INFINITY;
      }
    }
    boolean integral = true;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9' || c == '+' || c == '-') {
        i++;
      } else if (c == '.' || c == 'e' || c == 'E') {
        integral = false;
        i++;
      } else {
        break;
      }
    }
    if (start == i) {
      throw error("unexpected character");
    }
    String t = s.substring(start, i);
    return integral ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
  }
}
