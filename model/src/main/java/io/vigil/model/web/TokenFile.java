package io.vigil.model.web;

import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file of bearer tokens, one {@code <name> <token>} line each (blank lines and {@code #} comments
 * skipped), as a mounted Secret holds them: the admin ports' {@code bearer_tokens_file} and the
 * collector's {@code otlp.auth.bearer_tokens_file}. Errors name the key, the file and the line,
 * never a token.
 */
public final class TokenFile {
  /** One line: its number (from 1), the name and the token. */
  public record Line(int number, String name, String token) {}

  private TokenFile() {}

  /**
   * The lines of {@code file}.
   *
   * @param key the configuration key, for errors
   * @param nameWord what a line's first word is ({@code name}, {@code sender}), for errors
   * @throws ConfigException when the file cannot be read or a line is not two words
   */
  public static List<Line> read(Path file, String key, String nameWord) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(key, file, "cannot read: " + e.getMessage());
    }
    List<Line> tokens = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        // The value is not shown: it may hold a token.
        throw new ConfigException(
            key, file + " line " + (i + 1) + ": expected '<" + nameWord + "> <token>'");
      }
      tokens.add(new Line(i + 1, parts[0], parts[1]));
    }
    return tokens;
  }
}
