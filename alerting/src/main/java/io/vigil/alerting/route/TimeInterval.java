package io.vigil.alerting.route;

import io.vigil.alerting.yaml.YamlNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One entry of an Alertmanager {@code time_intervals} definition: times of day, weekdays, days of
 * the month, months and years, in a location. An instant is inside when every field given accepts
 * it (a field left out accepts all); a field accepts it when one of its ranges does. Ranges are
 * inclusive, except times of day, whose end is exclusive ({@code 17:00}–{@code 24:00} is the
 * evening). A negative day of the month counts from its end ({@code -1} is the last day).
 *
 * @param minutes {@code [start, end)} minutes of the day
 * @param weekdays inclusive ranges, 0 = Sunday … 6 = Saturday
 * @param daysOfMonth inclusive ranges, 1…31 or −31…−1
 * @param months inclusive ranges, 1…12
 * @param years inclusive ranges
 * @param location where the fields are read; UTC by default
 */
public record TimeInterval(
    List<int[]> minutes,
    List<int[]> weekdays,
    List<int[]> daysOfMonth,
    List<int[]> months,
    List<int[]> years,
    ZoneId location) {

  private static final Set<String> KEYS =
      Set.of("times", "weekdays", "days_of_month", "months", "years", "location");
  private static final List<String> WEEKDAYS =
      List.of("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday");
  private static final List<String> MONTHS =
      List.of(
          "january",
          "february",
          "march",
          "april",
          "may",
          "june",
          "july",
          "august",
          "september",
          "october",
          "november",
          "december");

  /** Whether {@code instant} is inside this interval. */
  public boolean contains(Instant instant) {
    ZonedDateTime t = instant.atZone(location);
    int minute = t.getHour() * 60 + t.getMinute();
    if (!minutes.isEmpty() && minutes.stream().noneMatch(r -> minute >= r[0] && minute < r[1])) {
      return false;
    }
    int weekday = t.getDayOfWeek().getValue() % 7; // Sunday = 0
    if (!inAny(weekdays, weekday) || !inAny(months, t.getMonthValue())) {
      return false;
    }
    if (!inAny(years, t.getYear())) {
      return false;
    }
    int day = t.getDayOfMonth();
    int length = t.toLocalDate().lengthOfMonth();
    if (!daysOfMonth.isEmpty()
        && daysOfMonth.stream()
            .noneMatch(r -> day >= absolute(r[0], length) && day <= absolute(r[1], length))) {
      return false;
    }
    return true;
  }

  private static boolean inAny(List<int[]> ranges, int value) {
    return ranges.isEmpty() || ranges.stream().anyMatch(r -> value >= r[0] && value <= r[1]);
  }

  private static int absolute(int day, int length) {
    return day > 0 ? day : length + day + 1;
  }

  /** Reads one entry as Alertmanager does, naming the key of any mistake. */
  static TimeInterval parse(YamlNode node) {
    node.checkKeys(KEYS, Set.of());
    List<int[]> minutes = new ArrayList<>();
    for (YamlNode range : node.get("times").elements()) {
      range.checkKeys(Set.of("start_time", "end_time"), Set.of());
      int start = clock(range.get("start_time"));
      int end = clock(range.get("end_time"));
      if (start >= end) {
        throw range.hidden("start time cannot be equal or greater than end time");
      }
      minutes.add(new int[] {start, end});
    }
    List<int[]> weekdays = ranges(node.get("weekdays"), "weekday", WEEKDAYS, false, 0, 6);
    List<int[]> days = ranges(node.get("days_of_month"), "day of month", null, true, -31, 31);
    List<int[]> months = ranges(node.get("months"), "month", MONTHS, true, 1, 12);
    List<int[]> years = ranges(node.get("years"), "year", null, true, 0, 9999);
    ZoneId location = ZoneOffset.UTC;
    YamlNode locationNode = node.get("location");
    if (!locationNode.isAbsent()) {
      String name = locationNode.requiredText();
      try {
        location = name.equals("Local") ? ZoneId.systemDefault() : ZoneId.of(name);
      } catch (DateTimeException e) {
        throw locationNode.error("unknown time zone location");
      }
    }
    return new TimeInterval(minutes, weekdays, days, months, years, location);
  }

  /** {@code HH:MM}, 00:00 to 24:00, as minutes of the day. */
  private static int clock(YamlNode node) {
    String text = node.requiredText();
    String[] parts = text.split(":", -1);
    try {
      if (parts.length == 2 && parts[0].length() == 2 && parts[1].length() == 2) {
        int hours = Integer.parseInt(parts[0]);
        int minutes = Integer.parseInt(parts[1]);
        int total = hours * 60 + minutes;
        if (hours >= 0 && minutes >= 0 && minutes < 60 && total <= 24 * 60) {
          return total;
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw node.error("invalid time of day, expected HH:MM between 00:00 and 24:00");
  }

  /**
   * A list of values or {@code a:b} ranges, by name ({@code names}, index + {@code min}) or, when
   * {@code numbers}, by number from {@code min} to {@code max} (0 excluded when {@code min < 0}).
   */
  private static List<int[]> ranges(
      YamlNode list, String what, List<String> names, boolean numbers, int min, int max) {
    List<int[]> out = new ArrayList<>();
    for (YamlNode item : list.elements()) {
      String text = item.requiredText().toLowerCase(Locale.ROOT);
      String[] ends = text.split(":", -1);
      if (ends.length > 2) {
        throw item.error("invalid " + what + " range");
      }
      int start = value(item, ends[0], what, names, numbers, min, max);
      int end = ends.length == 2 ? value(item, ends[1], what, names, numbers, min, max) : start;
      if ((start > 0) == (end > 0) && start > end) {
        throw item.error("start " + what + " cannot be after end " + what);
      }
      out.add(new int[] {start, end});
    }
    return out;
  }

  private static int value(
      YamlNode item,
      String text,
      String what,
      List<String> names,
      boolean numbers,
      int min,
      int max) {
    if (names != null && names.contains(text)) {
      return names.indexOf(text) + min;
    }
    if (numbers) {
      try {
        int value = Integer.parseInt(text);
        if (value >= min && value <= max && (min >= 0 || value != 0)) {
          return value;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw item.error("invalid " + what);
  }
}
