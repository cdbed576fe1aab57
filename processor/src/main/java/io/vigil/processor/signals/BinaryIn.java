package io.vigil.processor.signals;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link BinaryOut} (or {@link java.io.DataOutputStream}) wrote, straight from the
 * record's array; reading past its end raises {@link EOFException}, as the stream did.
 */
final class BinaryIn {
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final byte[] bytes;
  private int position;

  BinaryIn(byte[] bytes) {
    this.bytes = bytes;
  }

  byte readByte() throws EOFException {
    need(1);
    return bytes[position++];
  }

  boolean readBoolean() throws EOFException {
    return readByte() != 0;
  }

  long readLong() throws EOFException {
    need(8);
    long v = (long) LONG.get(bytes, position);
    position += 8;
    return v;
  }

  double readDouble() throws EOFException {
    return Double.longBitsToDouble(readLong());
  }

  void readFully(byte[] into) throws EOFException {
    need(into.length);
    System.arraycopy(bytes, position, into, 0, into.length);
    position += into.length;
  }

  /**
   * As {@link DataInputStream#readUTF}. An ASCII string (nearly all of them: series, streams,
   * routes) is copied as it is; anything else goes through the stream's own decoder, malformed
   * input included.
   */
  String readUTF() throws IOException {
    need(2);
    int length = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
    need(2 + length);
    int from = position + 2;
    for (int i = from; i < from + length; i++) {
      if (bytes[i] <= 0) {
        String s =
            DataInputStream.readUTF(
                new DataInputStream(new ByteArrayInputStream(bytes, position, 2 + length)));
        position = from + length;
        return s;
      }
    }
    position = from + length;
    return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
  }

  private void need(int n) throws EOFException {
    if (n > bytes.length - position) {
      throw new EOFException(
          "record ends at byte " + bytes.length + ", " + n + " more wanted at " + position);
    }
  }
}
