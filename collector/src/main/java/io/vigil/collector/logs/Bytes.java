package io.vigil.collector.logs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds a byte in a byte array eight at a time (SWAR: a whole {@code long} compared at once), where
 * a loop over each byte was the costliest step of reading a log file: every byte of every line is
 * looked at to find its end. Pure.
 */
final class Bytes {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  private Bytes() {}

  /** The index of the first {@code wanted} in {@code b[from, to)}, or -1. */
  static int indexOf(byte[] b, int from, int to, byte wanted) {
    long pattern = (wanted & 0xFFL) * ONES;
    int i = from;
    for (; i <= to - Long.BYTES; i += Long.BYTES) {
      long word = (long) LONGS.get(b, i) ^ pattern; // a zero byte where b holds wanted
      // The lowest byte with its high bit set here is the first zero byte (little-endian): a
      // borrow can only mark bytes above a true zero, never one below it.
      long zeros = (word - ONES) & ~word & HIGHS;
      if (zeros != 0) {
        return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == wanted) {
        return i;
      }
    }
    return -1;
  }
}
