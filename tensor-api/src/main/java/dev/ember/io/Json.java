package dev.ember.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer for file headers; it builds plain maps, lists,
 * strings, numbers and booleans and can never run code (no reflection, no class names, no Java
 * serialization).
 *
 * <p>Values map to Java as: object {@code ->} {@link LinkedHashMap} (key order kept), array {@code
 * ->} {@link List}, string {@code ->} {@link String}, number {@code ->} {@link Long} when it is an
 * integer that fits, else {@link BigInteger} for larger integers and {@link Double} for fractions,
 * {@code true}/{@code false} {@code ->} {@link Boolean}, {@code null} {@code ->} {@code null}.
 *
 * <p>Strict means: one value and only whitespace around it; duplicate object keys, trailing commas,
 * comments, single quotes, unescaped control characters, lone surrogates, leading zeros, {@code
 * NaN} and nesting deeper than {@value #MAX_DEPTH} are all rejected with an {@link
 * IllegalArgumentException} giving the character position.
 *
 * @since 0.1
 */
public final class Json {
  /** The deepest nesting of arrays and objects {@link #parse} accepts. */
  public static final int MAX_DEPTH = 64;

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses one JSON value.
   *
   * @throws IllegalArgumentException naming the position and the problem if {@code text} is not
   *     exactly one strict JSON value
   */
  public static Object parse(String text) {
    Json p = new Json(text);
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected " + p.describeChar() + " after the value");
    }
    return value;
  }

  /**
   * Parses a JSON object.
   *
   * @throws IllegalArgumentException if the text is not strict JSON or its value is not an object
   */
  @SuppressWarnings("unchecked")
  public static LinkedHashMap<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof LinkedHashMap)) {
      throw new IllegalArgumentException("json: expected an object, got " + typeName(v));
    }
    return (LinkedHashMap<String, Object>) v;
  }

  /**
   * Returns the compact JSON text of a value made of maps with string keys, lists, strings, numbers,
   * booleans and nulls.
   *
   * @throws IllegalArgumentException for other types, non-string keys and non-finite numbers
   */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb, 0);
    return sb.toString();
  }

  /**
   * Returns a parsed JSON array of numbers as a {@code double[]}, element by element with {@link
   * Number#doubleValue()} (integers above 2<sup>53</sup> round to the nearest double).
   *
   * @param array a value returned by {@link #parse}, expected to be an array of numbers
   * @throws IllegalArgumentException if {@code array} is not an array or one of its elements is not
   *     a number (naming the index)
   */
  public static double[] toDoubleArray(Object array) {
    List<?> list = asArray(array);
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = list.get(i);
      if (!(v instanceof Number n)) {
        throw new IllegalArgumentException("json: element " + i + " is a " + typeName(v) + ", expected a number");
      }
      out[i] = n.doubleValue();
    }
    return out;
  }

  /**
   * Returns a parsed JSON array of integers as a {@code long[]}.
   *
   * @param array a value returned by {@link #parse}, expected to be an array of integers (numbers
   *     written without a fraction or an exponent)
   * @throws IllegalArgumentException if {@code array} is not an array or one of its elements is not
   *     an integer that fits in a {@code long} (naming the index)
   */
  public static long[] toLongArray(Object array) {
    List<?> list = asArray(array);
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = list.get(i);
      if (!(v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) {
        throw new IllegalArgumentException("json: element " + i + " is "
            + (v instanceof Number ? "the number " + v + ", " : "a " + typeName(v) + ", ")
            + "expected an integer that fits in 64 bits");
      }
      out[i] = ((Number) v).longValue();
    }
    return out;
  }

  /**
   * Returns a parsed JSON array of integers as an {@code int[]}, for shapes and indices.
   *
   * @param array a value returned by {@link #parse}, expected to be an array of integers
   * @throws IllegalArgumentException if {@code array} is not an array or one of its elements is not
   *     an integer that fits in an {@code int} (naming the index)
   */
  public static int[] toIntArray(Object array) {
    long[] longs = toLongArray(array);
    int[] out = new int[longs.length];
    for (int i = 0; i < out.length; i++) {
      if (longs[i] != (int) longs[i]) {
        throw new IllegalArgumentException("json: element " + i + " is " + longs[i] + ", outside the int range");
      }
      out[i] = (int) longs[i];
    }
    return out;
  }

  private static List<?> asArray(Object array) {
    if (!(array instanceof List<?> list)) {
      throw new IllegalArgumentException("json: expected an array, got " + typeName(array));
    }
    return list;
  }

  /** Returns a short name of a parsed value's JSON type, for error messages. */
  public static String typeName(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof Map) {
      return "object";
    } else if (v instanceof List) {
      return "array";
    } else if (v instanceof String) {
      return "string";
    } else if (v instanceof Boolean) {
      return "boolean";
    } else if (v instanceof Number) {
      return "number";
    }
    return v.getClass().getSimpleName();
  }

  // ------------------------------------------------------------------------------------ reading

  private IllegalArgumentException error(String message) {
    return new IllegalArgumentException("json: " + message + " at position " + pos);
  }

  private String describeChar() {
    if (pos >= text.length()) {
      return "end of input";
    }
    char c = text.charAt(pos);
    return c < 0x20 || c > 0x7e ? String.format("character U+%04X", (int) c) : "'" + c + "'";
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private Object value(int depth) {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected " + describeChar() + ", expected a value");
    }
  }

  private void literal(String word) {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeChar() + ", expected a value");
    }
    pos += word.length();
  }

  private LinkedHashMap<String, Object> object(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
    pos++; // '{'
    LinkedHashMap<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (pos < text.length() && text.charAt(pos) == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (pos >= text.length() || text.charAt(pos) != '"') {
        throw error("unexpected " + describeChar() + ", expected a string key");
      }
      int keyPos = pos;
      String key = string();
      if (map.containsKey(key)) {
        pos = keyPos;
        throw error("duplicate key \"" + key + "\"");
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      map.put(key, value(depth));
      skipWhitespace();
      if (pos < text.length() && text.charAt(pos) == ',') {
        pos++;
      } else if (pos < text.length() && text.charAt(pos) == '}') {
        pos++;
        return map;
      } else {
        throw error("unexpected " + describeChar() + ", expected ',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (pos < text.length() && text.charAt(pos) == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      if (pos < text.length() && text.charAt(pos) == ',') {
        pos++;
      } else if (pos < text.length() && text.charAt(pos) == ']') {
        pos++;
        return list;
      } else {
        throw error("unexpected " + describeChar() + ", expected ',' or ']'");
      }
    }
  }

  private void expect(char c) {
    if (pos >= text.length() || text.charAt(pos) != c) {
      throw error("unexpected " + describeChar() + ", expected '" + c + "'");
    }
    pos++;
  }

  private String string() {
    pos++; // opening quote
    StringBuilder sb = null;
    int start = pos;
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
        pos++;
        return s;
      }
      if (c < 0x20) {
        throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
      }
      if (Character.isSurrogate(c)) {
        // Raw surrogates come from the decoder only as valid pairs; check anyway.
        if (Character.isHighSurrogate(c) && pos + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(pos + 1))) {
          pos += 2;
          continue;
        }
        throw error("lone surrogate in a string");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder();
      }
      sb.append(text, start, pos);
      pos++;
      if (pos >= text.length()) {
        throw error("unterminated escape");
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case '/' -> sb.append('/');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          char u = hex4();
          if (Character.isHighSurrogate(u)) {
            if (!text.startsWith("\\u", pos)) {
              throw error("lone surrogate escape in a string");
            }
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw error("lone surrogate escape in a string");
            }
            sb.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            throw error("lone surrogate escape in a string");
          } else {
            sb.append(u);
          }
        }
        default -> {
          pos--;
          throw error("invalid escape '\\" + e + "'");
        }
      }
      start = pos;
    }
  }

  private char hex4() {
    if (pos + 4 > text.length()) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0) {
        throw error("invalid hex digit in \\u escape");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private Number number() {
    int start = pos;
    boolean integral = true;
    if (text.charAt(pos) == '-') {
      pos++;
    }
    if (pos >= text.length()) {
      throw error("truncated number");
    }
    char c = text.charAt(pos);
    if (c == '0') {
      pos++;
      if (pos < text.length() && isDigit(text.charAt(pos))) {
        throw error("leading zero in a number");
      }
    } else if (c >= '1' && c <= '9') {
      digits();
    } else {
      throw error("invalid number");
    }
    if (pos < text.length() && text.charAt(pos) == '.') {
      integral = false;
      pos++;
      if (pos >= text.length() || !isDigit(text.charAt(pos))) {
        throw error("expected a digit after the decimal point");
      }
      digits();
    }
    if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      integral = false;
      pos++;
      if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
        pos++;
      }
      if (pos >= text.length() || !isDigit(text.charAt(pos))) {
        throw error("expected a digit in the exponent");
      }
      digits();
    }
    String s = text.substring(start, pos);
    if (integral) {
      if (s.length() <= 18) {
        return Long.parseLong(s);
      }
      BigInteger big = new BigInteger(s);
      return big.bitLength() < 64 ? (Number) big.longValue() : big;
    }
    double d = new BigDecimal(s).doubleValue();
    if (Double.isInfinite(d)) {
      throw error("number out of range: " + s);
    }
    return d;
  }

  private void digits() {
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  // ------------------------------------------------------------------------------------ writing

  private static void write(Object v, StringBuilder sb, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("json: nesting deeper than " + MAX_DEPTH);
    }
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(s, sb);
    } else if (v instanceof Boolean b) {
      sb.append(b.booleanValue());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("json: cannot write non-finite number " + d);
      }
      sb.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger) {
      sb.append(v);
    } else if (v instanceof BigDecimal bd) {
      sb.append(bd.toString());
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) {
          throw new IllegalArgumentException("json: object keys must be strings, got " + e.getKey());
        }
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(k, sb);
        sb.append(':');
        write(e.getValue(), sb, depth + 1);
      }
      sb.append('}');
    } else if (v instanceof List<?> l) {
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(l.get(i), sb, depth + 1);
      }
      sb.append(']');
    } else if (v instanceof long[] a) {
      List<Object> l = new ArrayList<>(a.length);
      for (long x : a) {
        l.add(x);
      }
      write(l, sb, depth);
    } else {
      throw new IllegalArgumentException("json: cannot write a " + v.getClass().getName());
    }
  }

  private static void quote(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else if (Character.isSurrogate(c) && !validPairAt(s, i)) {
            throw new IllegalArgumentException("json: cannot write a string with a lone surrogate");
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static boolean validPairAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
