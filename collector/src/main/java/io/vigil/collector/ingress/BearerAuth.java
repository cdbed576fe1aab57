package io.vigil.collector.ingress;

import io.vigil.model.web.BearerTokens;

/**
 * Bearer tokens per sender: a request must carry {@code Authorization: Bearer <token>} (gRPC: the
 * {@code authorization} metadata) with one of the configured tokens. The tokens are a {@link
 * BearerTokens}: kept as SHA-256 digests, compared in constant time, the token file read again when
 * it changes. Tokens never appear in logs or metrics; the sender's name may.
 */
public final class BearerAuth {
  private final BearerTokens tokens;

  private BearerAuth(BearerTokens tokens) {
    this.tokens = tokens;
  }

  /** Senders and their tokens; null when there were none at start (no authentication). */
  public static BearerAuth of(BearerTokens tokens) {
    return tokens.isEmpty() ? null : new BearerAuth(tokens);
  }

  /** The sender whose token {@code authorization} carries, or null. */
  public String sender(String authorization) {
    String presented = "";
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = authorization.substring(7).trim();
    }
    return tokens.holder(presented);
  }
}
