package io.vigil.model.web;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A URL's raw query ({@code URI.getRawQuery()}) as decoded parameters, for the admin ports' APIs
 * ({@code /api/signals}, {@code /api/v2/alerts}): {@code &}-separated, names and values
 * percent-decoded ({@code +} a space), a name without {@code =} given the empty value.
 */
public final class QueryString {
  /** One parameter, decoded. */
  public record Param(String name, String value) {}

  private QueryString() {}

  /**
   * Every parameter of {@code raw} in order, repeated ones repeated (Alertmanager's {@code
   * filter}).
   *
   * @throws IllegalArgumentException on a malformed escape ({@code %zz})
   */
  public static List<Param> params(String raw) {
    List<Param> params = new ArrayList<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      params.add(
          new Param(
              decode(eq < 0 ? pair : pair.substring(0, eq)),
              eq < 0 ? "" : decode(pair.substring(eq + 1))));
    }
    return params;
  }

  /** The parameters of {@code raw} by name; of a repeated one, the last. */
  public static Map<String, String> lastByName(String raw) {
    Map<String, String> byName = new HashMap<>();
    for (Param p : params(raw)) {
      byName.put(p.name(), p.value());
    }
    return byName;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
