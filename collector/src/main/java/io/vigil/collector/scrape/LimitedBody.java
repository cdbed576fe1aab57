package io.vigil.collector.scrape;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/** A scraped page's body, read up to a limit: a longer one is not downloaded to its end. */
final class LimitedBody {
  private LimitedBody() {}

  /** A page longer than the limit; the download was cancelled. */
  static final class TooLarge extends IOException {
    TooLarge(long limit) {
      super("page larger than " + limit + " bytes (collector.scrape.max_body_bytes)");
    }
  }

  /** Collects the body, cancelling the download once it passes {@code max} bytes. */
  static HttpResponse.BodySubscriber<byte[]> subscriber(int max) {
    return new HttpResponse.BodySubscriber<>() {
      private final CompletableFuture<byte[]> body = new CompletableFuture<>();
      private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      private Flow.Subscription subscription;

      @Override
      public CompletionStage<byte[]> getBody() {
        return body;
      }

      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer buffer : buffers) {
          if (bytes.size() + buffer.remaining() > max) {
            subscription.cancel();
            body.completeExceptionally(new TooLarge(max));
            return;
          }
          byte[] chunk = new byte[buffer.remaining()];
          buffer.get(chunk);
          bytes.writeBytes(chunk);
        }
      }

      @Override
      public void onError(Throwable error) {
        body.completeExceptionally(error);
      }

      @Override
      public void onComplete() {
        body.complete(bytes.toByteArray());
      }
    };
  }
}
