package dev.ember.internal;

import dev.ember.Device;
import dev.ember.spi.Backend;
import dev.ember.spi.BackendProvider;
import dev.ember.spi.BackendUnavailableException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of backends found with {@link ServiceLoader}: one provider per device type, and one
 * lazily opened backend per device. A device that fails to open keeps its reason.
 */
public final class Backends {
  private static final Map<Device, Object> OPENED = new ConcurrentHashMap<>();

  private Backends() {}

  private static final class Providers {
    static final Map<String, BackendProvider> BY_TYPE = load();

    private static Map<String, BackendProvider> load() {
      Map<String, BackendProvider> map = new TreeMap<>();
      for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
        BackendProvider prior = map.putIfAbsent(p.deviceType(), p);
        if (prior != null && prior.getClass() != p.getClass()) {
          throw new IllegalStateException("backends: two providers for device type '" + p.deviceType()
              + "': " + prior.getClass().getName() + " and " + p.getClass().getName());
        }
      }
      return map;
    }
  }

  /**
   * Returns the backend for a device, opening it on first use.
   *
   * @throws IllegalArgumentException naming the device, the available types and why it failed
   */
  public static Backend get(Device device) {
    Object o = OPENED.computeIfAbsent(device, Backends::open);
    if (o instanceof Backend b) {
      return b;
    }
    throw new IllegalArgumentException(String.valueOf(o));
  }

  /** Returns whether the device's backend is on the class path and opens. */
  public static boolean isAvailable(Device device) {
    return OPENED.computeIfAbsent(device, Backends::open) instanceof Backend;
  }

  /** Returns why a device is unavailable, or an empty string if it is available. */
  public static String unavailableReason(Device device) {
    Object o = OPENED.computeIfAbsent(device, Backends::open);
    return o instanceof Backend ? "" : String.valueOf(o);
  }

  /** Returns the device types whose providers are on the class path, sorted. */
  public static java.util.Set<String> providerTypes() {
    return Providers.BY_TYPE.keySet();
  }

  private static Object open(Device device) {
    BackendProvider p = Providers.BY_TYPE.get(device.type());
    if (p == null) {
      return "no backend for device '" + device + "' (backends on the class path: "
          + Providers.BY_TYPE.keySet() + "); is backend-" + device.type() + " on the class path?";
    }
    try {
      return p.open(device.index());
    } catch (BackendUnavailableException e) {
      return device.type().toUpperCase(java.util.Locale.ROOT) + " backend unavailable for "
          + device + ": " + e.getMessage();
    } catch (LinkageError | RuntimeException e) {
      return device.type().toUpperCase(java.util.Locale.ROOT) + " backend unavailable for "
          + device + ": " + e;
    }
  }
}
