package io.vigil.alerting.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.config.ConfigException;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimeIntervalTest {
  /** A config whose route {@code r1} is muted by {@code intervals} (YAML flow list of entries). */
  private static Route muted(String entries) {
    AlertmanagerConfig config =
        AlertmanagerConfig.parse(
            """
            time_intervals:
              - name: window
                time_intervals: %s
            route:
              receiver: r
              routes:
                - {receiver: r, matchers: [a="1"], mute_time_intervals: [window]}
                - {receiver: r, matchers: [a="2"], active_time_intervals: [window]}
                - {receiver: r, matchers: [a="3"], mute_time_intervals: [window],
                   routes: [{receiver: r, matchers: [b="1"]}]}
            receivers: [{name: r}]
            """
                .formatted(entries),
            "am.yml");
    return config.route();
  }

  private static boolean mutedAt(String entries, String instant) {
    return muted(entries).routes().get(0).timeMuting().mutes(Instant.parse(instant));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // 2026-12-02 is a Wednesday
        "[{times: [{start_time: '17:00', end_time: '24:00'}]}]|2026-12-02T18:30:00Z|true",
        "[{times: [{start_time: '17:00', end_time: '24:00'}]}]|2026-12-02T16:59:59Z|false",
        "[{times: [{start_time: '09:00', end_time: '17:00'}]}]|2026-12-02T17:00:00Z|false",
        "[{weekdays: ['monday:friday']}]|2026-12-02T12:00:00Z|true",
        "[{weekdays: ['saturday', 'sunday']}]|2026-12-02T12:00:00Z|false",
        "[{weekdays: ['saturday', 'sunday']}]|2026-12-06T12:00:00Z|true",
        "[{days_of_month: ['-3:-1']}]|2026-12-30T12:00:00Z|true",
        "[{days_of_month: ['-3:-1']}]|2026-12-28T12:00:00Z|false",
        "[{days_of_month: ['1:5', '-1']}]|2026-02-28T12:00:00Z|true",
        "[{months: ['december', '1:2']}]|2026-12-02T12:00:00Z|true",
        "[{months: ['june:august']}]|2026-12-02T12:00:00Z|false",
        "[{years: ['2025:2026']}]|2026-12-02T12:00:00Z|true",
        "[{years: ['1999']}]|2026-12-02T12:00:00Z|false",
        // 23:30 UTC is 00:30 the next day in Berlin: a Thursday
        "[{weekdays: ['thursday'], location: 'Europe/Berlin'}]|2026-12-02T23:30:00Z|true",
        "[{weekdays: ['thursday']}]|2026-12-02T23:30:00Z|false",
        // every field given must accept it; any entry may
        "[{weekdays: ['wednesday'], times: [{start_time: '00:00', end_time: '01:00'}]}]|2026-12-02T12:00:00Z|false",
        "[{years: ['1999']}, {months: ['december']}]|2026-12-02T12:00:00Z|true",
        "[{}]|2026-12-02T12:00:00Z|true",
        "[]|2026-12-02T12:00:00Z|false",
      })
  void anIntervalContainsTheInstantsAlertmanagerWould(String entries, String at, boolean in) {
    assertThat(mutedAt(entries, at)).isEqualTo(in);
  }

  @Test
  void activeIntervalsMuteOutsideThemAndNothingIsInherited() {
    Route root = muted("[{weekdays: ['wednesday']}]");
    Instant wednesday = Instant.parse("2026-12-02T12:00:00Z");
    Instant thursday = Instant.parse("2026-12-03T12:00:00Z");

    assertThat(root.timeMuting().mutes(wednesday)).isFalse();
    assertThat(root.routes().get(1).timeMuting().mutes(wednesday)).as("active now").isFalse();
    assertThat(root.routes().get(1).timeMuting().mutes(thursday)).as("outside").isTrue();
    assertThat(root.routes().get(2).timeMuting().mutes(wednesday)).isTrue();
    assertThat(root.routes().get(2).routes().get(0).timeMuting().mutes(wednesday))
        .as("a child route does not inherit its parent's mute time intervals")
        .isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[{times: [{start_time: '25:00', end_time: '26:00'}]}]|time_intervals[0].time_intervals[0].times[0].start_time: invalid time of day",
        "[{times: [{start_time: '17:00', end_time: '09:00'}]}]|time_intervals[0].time_intervals[0].times[0]: start time cannot be equal or greater than end time",
        "[{weekdays: ['funday']}]|time_intervals[0].time_intervals[0].weekdays[0]: invalid weekday",
        "[{weekdays: ['1']}]|time_intervals[0].time_intervals[0].weekdays[0]: invalid weekday",
        "[{weekdays: ['friday:monday']}]|time_intervals[0].time_intervals[0].weekdays[0]: start weekday cannot be after end weekday",
        "[{days_of_month: ['0']}]|time_intervals[0].time_intervals[0].days_of_month[0]: invalid day of month",
        "[{months: ['13']}]|time_intervals[0].time_intervals[0].months[0]: invalid month",
        "[{location: 'Mars/Olympus'}]|time_intervals[0].time_intervals[0].location: unknown time zone location",
        "[{hours: ['1']}]|time_intervals[0].time_intervals[0].hours: unknown key",
      })
  void aWrongIntervalIsRefusedNamingTheKey(String entries, String expected) {
    assertThatThrownBy(() -> muted(entries))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("am.yml: " + expected);
  }

  @Test
  void routesMayOnlyNameDefinedIntervalsAndNotAtTheRoot() {
    assertThatThrownBy(
            () ->
                AlertmanagerConfig.parse(
                    "route: {receiver: r, routes: [{receiver: r, mute_time_intervals: [night]}]}\n"
                        + "receivers: [{name: r}]\n",
                    "am.yml"))
        .hasMessageStartingWith(
            "am.yml: route.routes[0].mute_time_intervals[0]: undefined time interval used in"
                + " route");
    assertThatThrownBy(
            () ->
                AlertmanagerConfig.parse(
                    "time_intervals: [{name: night, time_intervals: [{}]}]\n"
                        + "route: {receiver: r, mute_time_intervals: [night]}\n"
                        + "receivers: [{name: r}]\n",
                    "am.yml"))
        .hasMessageStartingWith(
            "am.yml: route.mute_time_intervals: root route must not have any mute_time_intervals");
  }
}
