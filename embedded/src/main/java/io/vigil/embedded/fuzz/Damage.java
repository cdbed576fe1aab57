package io.vigil.embedded.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a fuzz test damages a real input (a fixture) before handing it to a parser: cut short, one
 * bit flipped, text spliced in, a line deleted. Real inputs damaged a little reach deeper into a
 * parser than random bytes, which most parsers refuse at the first byte.
 */
public enum Damage {
  TRUNCATE,
  FLIP_BIT,
  INSERT,
  DELETE_LINE;

  /**
   * {@code input} damaged this way at position {@code where} (taken modulo the input's length; its
   * upper bits choose the flipped bit), with {@code inserted} as the spliced text.
   */
  public byte[] apply(byte[] input, int where, String inserted) {
    int at = Math.floorMod(where, Math.max(1, input.length));
    return switch (this) {
      case TRUNCATE -> Arrays.copyOf(input, at);
      case FLIP_BIT -> {
        byte[] out = input.clone();
        if (out.length > 0) {
          out[at] ^= (byte) (1 << Math.floorMod(where >>> 8, 8));
        }
        yield out;
      }
      case INSERT -> {
        String text = new String(input, StandardCharsets.UTF_8);
        int cut = Math.min(at, text.length());
        yield (text.substring(0, cut) + inserted + text.substring(cut))
            .getBytes(StandardCharsets.UTF_8);
      }
      case DELETE_LINE -> {
        List<String> lines =
            new ArrayList<>(List.of(new String(input, StandardCharsets.UTF_8).split("\n", -1)));
        lines.remove(Math.floorMod(where, lines.size()));
        yield String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
      }
    };
  }
}
