package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void arrayHelpersConvertAndNameTheBadElement() {
    Object parsed = Json.parse("[1, 2.5, -3]");
    org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 2.5, -3}, Json.toDoubleArray(parsed));
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {4, 5}, Json.toLongArray(Json.parse("[4, 5]")));
    org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3}, Json.toIntArray(Json.parse("[2, 3]")));
    var e = assertThrows(IllegalArgumentException.class, () -> Json.toLongArray(Json.parse("[1, 2.5]")));
    assertTrue(e.getMessage().contains("1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Json.toIntArray(Json.parse("[3000000000]")));
  }

  @Test
  void parsesEveryKindOfValue() {
    Map<String, Object> m = Json.parseObject(" {\"a\": [1, -2.5, 1e3, true, false, null],"
        + " \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"o\": {}, \"e\": [],"
        + " \"big\": 123456789012345678901234567890, \"max\": 9223372036854775807} \n");
    assertEquals(List.of(1L, -2.5, 1000.0, true, false), ((List<?>) m.get("a")).subList(0, 5));
    assertNull(((List<?>) m.get("a")).get(5));
    assertEquals("x\"\\/\b\f\n\r\té😀", m.get("s"));
    assertEquals(Map.of(), m.get("o"));
    assertEquals(List.of(), m.get("e"));
    assertEquals(new BigInteger("123456789012345678901234567890"), m.get("big"));
    assertEquals(Long.MAX_VALUE, m.get("max"));
    assertEquals(List.of("a", "s", "o", "e", "big", "max"), List.copyOf(m.keySet()), "key order kept");
  }

  @Test
  void rejectsEverythingThatIsNotStrictJson() {
    for (String bad : new String[] {"", " ", "{", "}", "{\"a\":1,}", "[1,]", "[1 2]", "{'a':1}",
        "{\"a\":1}{}", "{\"a\":1} x", "01", "-", "1.", ".5", "1e", "+1", "NaN", "Infinity", "tru",
        "nul", "\"abc", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"",
        "{\"a\":1,\"a\":2}", "{1:2}", "[1e999]", "// c\n1", "\"\u0001\""}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad),
          "accepted: " + bad);
      assertTrue(e.getMessage().startsWith("json: "), e.getMessage());
    }
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse(deep)).getMessage()
        .contains("nesting"));
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(ok);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"k\":1,\"k\":1}"))
        .getMessage().contains("duplicate key \"k\""));
  }

  @Test
  void writesWhatItParses() {
    LinkedHashMap<String, Object> m = new LinkedHashMap<>();
    m.put("s", "q\"\\\n\u0001é😀");
    m.put("n", List.of(1L, -2L, 0.5, 3.0));
    m.put("b", true);
    m.put("z", null);
    m.put("o", Map.of("x", List.of()));
    String text = Json.write(m);
    assertEquals("{\"s\":\"q\\\"\\\\\\n\\u0001é😀\",\"n\":[1,-2,0.5,3],\"b\":true,\"z\":null,"
        + "\"o\":{\"x\":[]}}", text);
    Map<String, Object> back = Json.parseObject(text);
    assertEquals("q\"\\\n\u0001é😀", back.get("s"));
    assertEquals(Arrays.asList(1L, -2L, 0.5, 3L), back.get("n"));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    assertThrows(IllegalArgumentException.class, () -> Json.write("\ud800"));
  }
}
