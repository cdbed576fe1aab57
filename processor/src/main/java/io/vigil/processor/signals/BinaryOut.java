package io.vigil.processor.signals;

import java.io.UTFDataFormatException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Writes the processor's binary records byte for byte as {@link java.io.DataOutputStream} does
 * (big-endian numbers, strings in modified UTF-8 behind a two-byte length), into one growable
 * array. The stream wrote a long as a call per eight bytes through an {@code OutputStream} and an
 * int as four; here each is one store (BENCHMARKS.md, "binary records without streams"). Records
 * already written by the stream read back unchanged ({@code BinaryOutTest}).
 */
final class BinaryOut {
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] bytes;
  private int size;

  BinaryOut(int capacity) {
    this.bytes = new byte[capacity];
  }

  /** Forgets what was written; the array is kept. */
  void reset() {
    size = 0;
  }

  int capacity() {
    return bytes.length;
  }

  /** A copy of what was written. */
  byte[] toByteArray() {
    return Arrays.copyOf(bytes, size);
  }

  void writeByte(int v) {
    ensure(1);
    bytes[size++] = (byte) v;
  }

  void writeBoolean(boolean v) {
    writeByte(v ? 1 : 0);
  }

  void writeLong(long v) {
    ensure(8);
    LONG.set(bytes, size, v);
    size += 8;
  }

  /**
   * As {@link java.io.DataOutputStream#writeDouble}: the bits of {@link Double#doubleToLongBits}.
   */
  void writeDouble(double v) {
    writeLong(Double.doubleToLongBits(v));
  }

  void write(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, bytes, size, b.length);
    size += b.length;
  }

  /**
   * As {@link java.io.DataOutputStream#writeUTF}: the length of the encoding in two bytes, then
   * each char in one byte (1–127), two (0 and 128–2047) or three; longer than 65,535 bytes is
   * refused.
   */
  void writeUTF(String s) throws UTFDataFormatException {
    int chars = s.length();
    int length = chars;
    for (int i = 0; i < chars; i++) {
      char c = s.charAt(i);
      if (c >= 0x80 || c == 0) {
        length += c >= 0x800 ? 2 : 1;
      }
    }
    if (length > 0xFFFF) {
      throw new UTFDataFormatException("encoded string too long: " + length + " bytes");
    }
    ensure(2 + length);
    bytes[size++] = (byte) (length >>> 8);
    bytes[size++] = (byte) length;
    for (int i = 0; i < chars; i++) {
      char c = s.charAt(i);
      if (c >= 0x01 && c < 0x80) {
        bytes[size++] = (byte) c;
      } else if (c < 0x800) {
        bytes[size++] = (byte) (0xC0 | (c >> 6));
        bytes[size++] = (byte) (0x80 | (c & 0x3F));
      } else {
        bytes[size++] = (byte) (0xE0 | (c >> 12));
        bytes[size++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        bytes[size++] = (byte) (0x80 | (c & 0x3F));
      }
    }
  }

  private void ensure(int more) {
    if (size + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
  }
}
