package dev.ember.spi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HalfWidening} wraps every backend, so a Backend method it does not override would skip the
 * wrapped backend's kernel (an optional primitive would silently fall back to its composition, a
 * required one would fail at run time). This test fails as soon as the SPI grows a method the
 * wrapper does not forward.
 */
class HalfWideningTest {
  @Test
  void overridesEveryBackendMethod() throws Exception {
    List<String> missing = new ArrayList<>();
    for (Method m : Backend.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() != Backend.class) {
        continue;
      }
      Method impl = HalfWidening.class.getMethod(m.getName(), m.getParameterTypes());
      if (impl.getDeclaringClass() != HalfWidening.class) {
        missing.add(m.getName());
      }
    }
    assertTrue(missing.isEmpty(), "HalfWidening does not forward " + missing);
  }
}
