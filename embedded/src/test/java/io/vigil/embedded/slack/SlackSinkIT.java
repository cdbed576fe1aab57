package io.vigil.embedded.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SlackSinkIT {
  private final HttpClient http = HttpClient.newHttpClient();
  private SlackSink sink;

  @BeforeEach
  void start() {
    sink = SlackSink.start(0);
  }

  @AfterEach
  void stop() {
    sink.close();
  }

  @Test
  void recordsJsonPostsAndAnswersOkLikeSlack() throws Exception {
    assertThat(sink.webhookUrl()).matches("http://127\\.0\\.0\\.1:\\d+/services/T000/B000/XXXX");

    HttpResponse<String> response = post(sink.webhookUrl(), "{\"text\":\"disk \\\"full\\\"\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ok");
    SlackPost post = sink.awaitPost(Duration.ofSeconds(5));
    assertThat(post.path()).isEqualTo("/services/T000/B000/XXXX");
    assertThat(post.contentType()).isEqualTo("application/json");
    assertThat(post.text()).isEqualTo("disk \"full\"");
    assertThat(post.accepted()).isTrue();
    assertThat(post.receivedAt()).isNotNull();
  }

  @Test
  void keepsBodiesThatAreNotJson() throws Exception {
    post(sink.webhookUrl(), "not json {");

    SlackPost post = sink.awaitPost(Duration.ofSeconds(5));
    assertThat(post.body()).isEqualTo("not json {");
    assertThat(post.json()).isNull();
  }

  @Test
  void injectsFailuresWithRetryAfterThenRecovers() throws Exception {
    sink.failNext(2, 429, Duration.ofMillis(1500));

    HttpResponse<String> first = post(sink.webhookUrl(), "{\"text\":\"a\"}");
    HttpResponse<String> second = post(sink.webhookUrl(), "{\"text\":\"b\"}");
    HttpResponse<String> third = post(sink.webhookUrl(), "{\"text\":\"c\"}");

    assertThat(first.statusCode()).isEqualTo(429);
    assertThat(first.headers().firstValue("Retry-After")).hasValue("2");
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(third.statusCode()).isEqualTo(200);
    assertThat(sink.awaitPosts(3, Duration.ofSeconds(5)))
        .extracting(SlackPost::accepted)
        .containsExactly(false, false, true);
    assertThat(sink.acceptedPosts()).extracting(SlackPost::text).containsExactly("c");
  }

  @Test
  void omitsRetryAfterWhenNotGiven() throws Exception {
    sink.failNext(1, 503, null);

    HttpResponse<String> response = post(sink.webhookUrl(), "{}");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).isEmpty();
  }

  @Test
  void notifiesListenersAsPostsArrive() throws Exception {
    List<SlackPost> seen = new CopyOnWriteArrayList<>();
    sink.onPost(seen::add);

    post(sink.webhookUrl(), "{\"text\":\"hi\"}");

    // Listeners run before the sink answers, so the client's answer means they ran.
    assertThat(seen).extracting(SlackPost::text).containsExactly("hi");
  }

  @Test
  void timesOutWithWhatWasReceived() throws Exception {
    post(sink.webhookUrl(), "{\"text\":\"only one\"}");

    assertThatThrownBy(() -> sink.awaitPosts(2, Duration.ofMillis(200)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected 2")
        .hasMessageContaining("received 1")
        .hasMessageContaining("only one");
  }

  @Test
  void clearForgetsPosts() throws Exception {
    post(sink.webhookUrl(), "{}");
    sink.awaitPost(Duration.ofSeconds(5));

    sink.clear();

    assertThat(sink.posts()).isEmpty();
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
