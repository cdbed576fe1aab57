package io.vigil.collector.ingress;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Reads a request body as it arrives, keeping at most {@code maxBytes}. A longer body is read to
 * its end and thrown away before the future fails with {@link TooLarge}: answering while the sender
 * is still writing would make its connection reset, which exporters retry as a network error,
 * whereas a 413 read in full tells them not to. The request timeout bounds how long a sender can
 * keep us reading.
 */
final class BoundedBody implements Subscriber<HttpObject> {
  /** The body was longer than allowed; {@code bytes} is how long it was. */
  static final class TooLarge extends Exception {
    final long bytes;

    TooLarge(long bytes) {
      super(null, null, false, false);
      this.bytes = bytes;
    }
  }

  private final int maxBytes;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private ByteArrayOutputStream kept;
  private long total;

  private BoundedBody(int maxBytes, long declared) {
    this.maxBytes = maxBytes;
    this.kept = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 0), maxBytes));
  }

  /** The body of {@code req}, read on {@code executor}. */
  static CompletableFuture<byte[]> read(HttpRequest req, int maxBytes, EventExecutor executor) {
    long declared = req.headers().contentLength();
    BoundedBody body = new BoundedBody(maxBytes, declared > maxBytes ? 0 : declared);
    req.subscribe(body, executor);
    return body.result;
  }

  @Override
  public void onSubscribe(Subscription subscription) {
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(HttpObject object) {
    if (object instanceof HttpData data) {
      total += data.length();
      if (total > maxBytes) {
        kept = null; // over the limit: read on, keep nothing
      } else {
        kept.write(data.array(), 0, data.length());
      }
    }
  }

  @Override
  public void onError(Throwable error) {
    result.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    if (kept == null) {
      result.completeExceptionally(new TooLarge(total));
    } else {
      result.complete(kept.toByteArray());
    }
  }
}
