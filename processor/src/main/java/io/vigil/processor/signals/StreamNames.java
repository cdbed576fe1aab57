package io.vigil.processor.signals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A stream's name in the processor's binary state format: the decoders name a stream by 32 hex
 * digits of a hash, written as the 16 bytes they stand for; any other name is written as text.
 */
final class StreamNames {
  /** Marks a stream written as 16 bytes: 32 lowercase hex digits, as the decoders name streams. */
  private static final int HEX_STREAM = 0;

  /** Marks a stream written as text (modified UTF-8). */
  private static final int TEXT_STREAM = 1;

  private static final int HEX_BYTES = 16;

  /** Each char's value as a lowercase hex digit, -1 if it is none. */
  private static final int[] DIGITS = new int['f' + 1];

  /** Each byte's two hex digits. */
  private static final byte[] PAIRS = new byte[512];

  static {
    String digits = "0123456789abcdef";
    Arrays.fill(DIGITS, -1);
    for (int i = 0; i < 16; i++) {
      DIGITS[digits.charAt(i)] = i;
    }
    for (int b = 0; b < 256; b++) {
      PAIRS[2 * b] = (byte) digits.charAt(b >>> 4);
      PAIRS[2 * b + 1] = (byte) digits.charAt(b & 0xF);
    }
  }

  private StreamNames() {}

  /**
   * Writes a stream's name: as 16 bytes when it is 32 lowercase hex digits (the decoders' hashes),
   * else as text.
   */
  static void write(BinaryOut out, String stream) throws IOException {
    if (stream.length() == 2 * HEX_BYTES) {
      long high = 0;
      long low = 0;
      int invalid = 0;
      for (int i = 0; i < HEX_BYTES; i++) {
        int h = digit(stream.charAt(i));
        int l = digit(stream.charAt(HEX_BYTES + i));
        invalid |= h | l;
        high = high << 4 | h;
        low = low << 4 | l;
      }
      if (invalid >= 0) {
        out.writeByte(HEX_STREAM);
        out.writeLong(high);
        out.writeLong(low);
        return;
      }
    }
    out.writeByte(TEXT_STREAM);
    out.writeUTF(stream);
  }

  /** The value of lowercase hex digit {@code c}, else -1. */
  private static int digit(char c) {
    return c < DIGITS.length ? DIGITS[c] : -1;
  }

  /** Reads what {@link #write} wrote. */
  static String read(BinaryIn in) throws IOException {
    int kind = in.readByte();
    if (kind == TEXT_STREAM) {
      return in.readUTF();
    }
    if (kind != HEX_STREAM) {
      throw new IOException("bad stream kind " + kind);
    }
    byte[] digits = new byte[2 * HEX_BYTES];
    hex(in.readLong(), digits, 0);
    hex(in.readLong(), digits, HEX_BYTES);
    return new String(digits, StandardCharsets.ISO_8859_1);
  }

  private static void hex(long value, byte[] into, int at) {
    for (int i = HEX_BYTES - 2; i >= 0; i -= 2) {
      int b = (int) (value & 0xFF);
      into[at + i] = PAIRS[2 * b];
      into[at + i + 1] = PAIRS[2 * b + 1];
      value >>>= 8;
    }
  }
}
