package io.vigil.collector.logs;

import java.util.Arrays;

/**
 * Reads the RFC 3339 times container runtimes write ({@code 2021-02-16T09:21:15.518430714Z}, or
 * with an offset) straight from the line's bytes, without the allocations of {@code Instant.parse}
 * — the costliest step of reading a CRI line. Anything it does not recognise is left to the slow,
 * general parser ({@link #UNKNOWN}). Pure.
 */
final class FastTime {
  /** The time could not be read here. */
  static final long UNKNOWN = Long.MIN_VALUE;

  private FastTime() {}

  /**
   * The date and time to the second of the last time a file's reader parsed, which the lines after
   * it mostly share: those then only read their fraction and zone. One per reader (not shared
   * between threads).
   */
  static final class Memo {
    private final byte[] prefix = new byte[PREFIX];
    private long seconds = UNKNOWN;
  }

  /** {@code 2021-02-16T09:21:15}: the part of a time a {@link Memo} remembers. */
  private static final int PREFIX = 19;

  /** Nanoseconds since the epoch of the time in {@code b[from, to)}, or {@link #UNKNOWN}. */
  static long parse(byte[] b, int from, int to) {
    return parse(b, from, to, null);
  }

  /** As {@link #parse(byte[], int, int)}, remembering the last date and time in {@code memo}. */
  static long parse(byte[] b, int from, int to, Memo memo) {
    if (to - from < 20
        || b[from + 4] != '-'
        || b[from + 7] != '-'
        || (b[from + 10] != 'T' && b[from + 10] != 't')
        || b[from + 13] != ':'
        || b[from + 16] != ':') {
      return UNKNOWN;
    }
    long localSeconds;
    if (memo != null
        && memo.seconds != UNKNOWN
        && Arrays.equals(b, from, from + PREFIX, memo.prefix, 0, PREFIX)) {
      localSeconds = memo.seconds;
    } else {
      localSeconds = localSeconds(b, from);
      if (localSeconds == UNKNOWN) {
        return UNKNOWN;
      }
      if (memo != null) {
        System.arraycopy(b, from, memo.prefix, 0, PREFIX);
        memo.seconds = localSeconds;
      }
    }
    int i = from + PREFIX;
    long nanos = 0;
    if (i < to && b[i] == '.') {
      int digits = 0;
      i++;
      while (i < to && b[i] >= '0' && b[i] <= '9') {
        if (digits < 9) {
          nanos = nanos * 10 + (b[i] - '0');
          digits++;
        }
        i++;
      }
      if (digits == 0) {
        return UNKNOWN;
      }
      for (int d = digits; d < 9; d++) {
        nanos *= 10;
      }
    }
    long offsetSeconds;
    if (i == to - 1 && (b[i] == 'Z' || b[i] == 'z')) {
      offsetSeconds = 0;
    } else if (i == to - 6 && (b[i] == '+' || b[i] == '-') && b[i + 3] == ':') {
      int oh = digits(b, i + 1, 2);
      int om = digits(b, i + 4, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) {
        return UNKNOWN;
      }
      offsetSeconds = (b[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    } else {
      return UNKNOWN;
    }
    return (localSeconds - offsetSeconds) * 1_000_000_000L + nanos;
  }

  /**
   * Seconds since the epoch of {@code b[from, from + 19)} read as a date and time in UTC, or {@link
   * #UNKNOWN}; its separators were checked.
   */
  private static long localSeconds(byte[] b, int from) {
    int year = digits(b, from, 4);
    int month = digits(b, from + 5, 2);
    int day = digits(b, from + 8, 2);
    int hour = digits(b, from + 11, 2);
    int minute = digits(b, from + 14, 2);
    int second = digits(b, from + 17, 2);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || day > daysIn(year, month)
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59) {
      return UNKNOWN;
    }
    return epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
  }

  private static int digits(byte[] b, int at, int count) {
    int value = 0;
    for (int i = at; i < at + count; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return -1;
      }
      value = value * 10 + (b[i] - '0');
    }
    return value;
  }

  private static int daysIn(int year, int month) {
    return switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date (as {@code LocalDate.toEpochDay}). */
  private static long epochDay(int year, int month, int day) {
    long y = year;
    long total = 365 * y;
    if (y >= 0) {
      total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    } else {
      total -= y / -4 - y / -100 + y / -400;
    }
    total += (367L * month - 362) / 12;
    total += day - 1;
    if (month > 2) {
      total--;
      boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
      if (!leap) {
        total--;
      }
    }
    return total - 719_528; // days from 0000-01-01 to 1970-01-01
  }
}
