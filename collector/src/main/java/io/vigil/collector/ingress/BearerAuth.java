package io.vigil.collector.ingress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bearer tokens per sender: a request must carry {@code Authorization: Bearer <token>} (gRPC: the
 * {@code authorization} metadata) with one of the configured tokens. Tokens are kept only as
 * SHA-256 digests and compared in constant time — every known digest is compared, whatever matches
 * — so neither the token's length nor which sender it belongs to leaks through timing. Tokens never
 * appear in logs or metrics; the sender's name may.
 */
public final class BearerAuth {
  private record Known(String sender, byte[] digest) {}

  private final List<Known> known = new ArrayList<>();

  private BearerAuth(Map<String, String> tokensBySender) {
    tokensBySender.forEach((sender, token) -> known.add(new Known(sender, digest(token))));
  }

  /** Senders and their tokens; null when there are none (no authentication). */
  public static BearerAuth of(Map<String, String> tokensBySender) {
    return tokensBySender.isEmpty() ? null : new BearerAuth(tokensBySender);
  }

  /** The sender whose token {@code authorization} carries, or null. */
  public String sender(String authorization) {
    String presented = "";
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = authorization.substring(7).trim();
    }
    byte[] digest = digest(presented);
    String sender = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(k.digest(), digest) && !presented.isEmpty()) {
        sender = k.sender();
      }
    }
    return sender;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
