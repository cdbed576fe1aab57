package io.vigil.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * HTTP requests with a known, seeded distribution: log-normal latencies (successes around 80 ms,
 * failures slower, around 300 ms), a share of 500s, two routes. Counts what it hands out, so a test
 * knows the truth both sides are measured against.
 */
final class SeededTraffic {
  /** One request as the instrumentation records it. */
  record Request(String route, String method, long status, double seconds) {
    boolean error() {
      return status >= 500;
    }
  }

  private static final String ORDERS = "/api/orders/{id}";
  private static final String CART = "/api/cart";

  private final Random random;
  private final double errorShare;
  private long requests;
  private long errors;

  /** Requests drawn from {@code seed}, a share {@code errorShare} (0..1) of them failing. */
  SeededTraffic(long seed, double errorShare) {
    this.random = new Random(seed);
    this.errorShare = errorShare;
  }

  /** The next request: 70 % GET of an order, 30 % POST to the cart. */
  Request next() {
    boolean cart = random.nextDouble() < 0.3;
    return request(cart, random.nextDouble() < errorShare);
  }

  /** One request of each route with each status. */
  List<Request> oneOfEachKind() {
    List<Request> each = new ArrayList<>();
    for (boolean cart : new boolean[] {false, true}) {
      for (boolean error : new boolean[] {false, true}) {
        each.add(request(cart, error));
      }
    }
    return each;
  }

  private Request request(boolean cart, boolean error) {
    // log-normal: median × e^(σ·N(0,1))
    double seconds =
        error
            ? 0.300 * Math.exp(0.5 * random.nextGaussian())
            : 0.080 * Math.exp(0.8 * random.nextGaussian());
    requests++;
    if (error) {
      errors++;
    }
    return new Request(cart ? CART : ORDERS, cart ? "POST" : "GET", error ? 500 : 200, seconds);
  }

  /** Requests handed out so far. */
  long requests() {
    return requests;
  }

  /** Failed (5xx) requests handed out so far. */
  long errors() {
    return errors;
  }
}
