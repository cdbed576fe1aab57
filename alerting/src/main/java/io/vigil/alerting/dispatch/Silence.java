package io.vigil.alerting.dispatch;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.alerting.route.Matcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A silence in Alertmanager's API v2 shape, as kept on {@code vigil.silences}: while {@code
 * startsAt <= now < endsAt}, firing alerts whose labels satisfy every matcher are not notified.
 *
 * @param id the silence id (a UUID given at creation)
 * @param matchers label matchers, all of which must hold
 * @param startsAt when it starts muting
 * @param endsAt when it stops; expiring a silence sets this to the time of expiry
 * @param createdBy who made it, as the client said (Alertmanager's field, kept as given)
 * @param comment why
 * @param updatedAt when it was last written
 * @param principal who made it, as the API authenticated the request that created or last updated
 *     it: {@code basic:<user>}, {@code bearer:<token name>}, {@code cert:<subject>}, or {@code
 *     anonymous} when the API required no authentication; null for silences written before Vigil
 *     recorded it. Set by the server; a client's value is ignored
 */
public record Silence(
    @JsonProperty("id") String id,
    @JsonProperty("matchers") List<SilenceMatcher> matchers,
    @JsonProperty("startsAt") Instant startsAt,
    @JsonProperty("endsAt") Instant endsAt,
    @JsonProperty("createdBy") String createdBy,
    @JsonProperty("comment") String comment,
    @JsonProperty("updatedAt") Instant updatedAt,
    @JsonProperty("principal") String principal) {

  /** Alertmanager's matcher object: {@code {"name","value","isRegex","isEqual"}}. */
  public record SilenceMatcher(
      @JsonProperty("name") String name,
      @JsonProperty("value") String value,
      @JsonProperty("isRegex") boolean isRegex,
      @JsonProperty("isEqual") Boolean isEqual) {

    /** {@code isEqual} defaults to true, as in Alertmanager. */
    public SilenceMatcher {
      isEqual = isEqual == null ? Boolean.TRUE : isEqual;
    }

    Matcher toMatcher() {
      Matcher.Type type =
          isRegex
              ? (isEqual ? Matcher.Type.REGEX : Matcher.Type.NOT_REGEX)
              : (isEqual ? Matcher.Type.EQUAL : Matcher.Type.NOT_EQUAL);
      return new Matcher(name, type, value);
    }
  }

  /** Freezes the list. */
  public Silence {
    matchers = matchers == null ? List.of() : List.copyOf(matchers);
  }

  /** A silence without a recorded principal. */
  public Silence(
      String id,
      List<SilenceMatcher> matchers,
      Instant startsAt,
      Instant endsAt,
      String createdBy,
      String comment,
      Instant updatedAt) {
    this(id, matchers, startsAt, endsAt, createdBy, comment, updatedAt, null);
  }

  /**
   * Checks what Alertmanager checks before accepting a silence.
   *
   * @throws IllegalArgumentException naming the field and value
   */
  public void validate(Instant now) {
    if (matchers.isEmpty()) {
      throw new IllegalArgumentException("matchers: at least one is required");
    }
    boolean matchesEmpty = true;
    for (int i = 0; i < matchers.size(); i++) {
      SilenceMatcher m = matchers.get(i);
      if (m == null || m.name() == null || m.value() == null) {
        throw new IllegalArgumentException("matchers[" + i + "]: name and value are required");
      }
      try {
        Matcher matcher = m.toMatcher();
        matchesEmpty &= matcher.matches(Map.of());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("matchers[" + i + "]: " + e.getMessage());
      }
    }
    if (matchesEmpty) {
      throw new IllegalArgumentException(
          "matchers: at least one matcher must not match the empty string (it would silence"
              + " everything)");
    }
    Objects.requireNonNull(startsAt, "startsAt");
    if (endsAt == null || !endsAt.isAfter(startsAt)) {
      throw new IllegalArgumentException(
          "endsAt: must be after startsAt (" + startsAt + "), was " + endsAt);
    }
    if (!endsAt.isAfter(now)) {
      throw new IllegalArgumentException("endsAt: must be in the future, was " + endsAt);
    }
    if (createdBy == null || createdBy.isBlank()) {
      throw new IllegalArgumentException("createdBy: required");
    }
    if (comment == null || comment.isBlank()) {
      throw new IllegalArgumentException("comment: required");
    }
  }

  /** {@code active}, {@code pending} or {@code expired} at {@code now}. */
  public String state(Instant now) {
    if (!now.isBefore(endsAt)) {
      return "expired";
    }
    return now.isBefore(startsAt) ? "pending" : "active";
  }

  /** Whether it mutes an alert with {@code labels} at {@code now}. */
  public boolean mutes(Map<String, String> labels, Instant now) {
    if (!state(now).equals("active")) {
      return false;
    }
    for (Matcher m : compiled()) {
      if (!m.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  @JsonIgnore
  private List<Matcher> compiled() {
    List<Matcher> out = new ArrayList<>(matchers.size());
    for (SilenceMatcher m : matchers) {
      out.add(m.toMatcher());
    }
    return out;
  }
}
