package io.vigil.model.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Vigil's version, as the build wrote it into {@code vigil-version.properties} (this module's
 * resources, filtered): what {@code vigil --version} prints and the alert engine's {@code
 * /api/v2/status} reports.
 */
public final class VigilVersion {
  private VigilVersion() {}

  /** The version, or {@code unknown} when the file is missing (classes run from an IDE). */
  public static String get() {
    try (InputStream in = VigilVersion.class.getResourceAsStream("/vigil-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
