package io.vigil.collector.ingress;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Reads a request body as it arrives, keeping at most {@code maxBytes}, each chunk taken from the
 * ingress's {@link InFlightBytes} budget. A longer body is read to its end and thrown away before
 * the future fails with {@link TooLarge}, and one the budget cannot hold with {@link OverBudget}:
 * answering while the sender is still writing would make its connection reset, which exporters
 * retry as a network error, whereas a 413 or 503 read in full tells them what to do. The request
 * timeout bounds how long a sender can keep us reading. What the body holds of the budget is given
 * back by {@link #release()}, once the request is answered.
 *
 * <p>Chunks are kept as Armeria hands them over (unpooled, so ours to keep) and joined once at the
 * end; a body that arrived in one chunk is passed on as it is, without a copy.
 */
final class BoundedBody implements Subscriber<HttpObject> {
  /**
   * The body was longer than allowed; {@code bytes} is how long it was, {@code limit} the limit.
   */
  static final class TooLarge extends Exception {
    final long bytes;
    final int limit;

    TooLarge(long bytes, int limit) {
      super(null, null, false, false);
      this.bytes = bytes;
      this.limit = limit;
    }
  }

  /** The ingress's memory budget could not hold the body. */
  static final class OverBudget extends Exception {
    OverBudget() {
      super(null, null, false, false);
    }
  }

  private final int maxBytes;
  private final InFlightBytes budget;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();

  /** The chunks so far; null once over a limit. */
  private List<HttpData> kept = new ArrayList<>(2);

  private long total;
  private boolean overBudget;

  /** Bytes of the budget this body holds; changed on the event loop and at release. */
  private long held;

  /** Released: nothing more is taken from the budget (a chunk after an aborted request). */
  private boolean released;

  private BoundedBody(int maxBytes, InFlightBytes budget) {
    this.maxBytes = maxBytes;
    this.budget = budget;
  }

  /** Reads the body of {@code req} on {@code executor}; {@link #result()} completes with it. */
  static BoundedBody read(
      HttpRequest req, int maxBytes, InFlightBytes budget, EventExecutor executor) {
    BoundedBody body = new BoundedBody(maxBytes, budget);
    req.subscribe(body, executor);
    return body;
  }

  /** The whole body, or {@link TooLarge} or {@link OverBudget}. */
  CompletableFuture<byte[]> result() {
    return result;
  }

  /**
   * Holds {@code bytes} of the budget in all from now on (what the parsed records take, when more
   * than the body); returns false, holding what it held, when the budget cannot.
   */
  synchronized boolean holdAtLeast(long bytes) {
    long more = bytes - held;
    if (more <= 0) {
      return true;
    }
    if (released || !budget.tryAcquire(more)) {
      return false;
    }
    held += more;
    return true;
  }

  /** Gives back all the budget this body holds. Idempotent. */
  synchronized void release() {
    budget.release(held);
    held = 0;
    released = true;
  }

  @Override
  public void onSubscribe(Subscription subscription) {
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(HttpObject object) {
    if (object instanceof HttpData data) {
      total += data.length();
      if (kept == null) {
        return; // over a limit: read on, keep nothing
      }
      if (total > maxBytes) {
        drop();
      } else if (!hold(data.length())) {
        overBudget = true;
        drop();
      } else {
        kept.add(data);
      }
    }
  }

  private synchronized boolean hold(int bytes) {
    if (released || !budget.tryAcquire(bytes)) {
      return false;
    }
    held += bytes;
    return true;
  }

  private void drop() {
    kept = null;
    release();
  }

  @Override
  public void onError(Throwable error) {
    result.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    if (kept == null) {
      result.completeExceptionally(overBudget ? new OverBudget() : new TooLarge(total, maxBytes));
    } else {
      result.complete(joined(kept, (int) total));
    }
  }

  /** {@code chunks} as one array of {@code length} bytes; the first chunk's own if it is all. */
  private static byte[] joined(List<HttpData> chunks, int length) {
    if (chunks.size() == 1 && chunks.get(0).array().length == length) {
      return chunks.get(0).array();
    }
    byte[] body = new byte[length];
    int at = 0;
    for (HttpData chunk : chunks) {
      System.arraycopy(chunk.array(), 0, body, at, chunk.length());
      at += chunk.length();
    }
    return body;
  }
}
