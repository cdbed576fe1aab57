package io.vigil.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@code /readyz} on a real admin port, as a kubelet's probe reads it. */
class AdminServerIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aPortInUseIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();

      assertThatThrownBy(() -> AdminServer.start("127.0.0.1", port, new PrometheusRegistry()))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port + " for admin: ");
    }
  }

  @Test
  void isNotReadyUntilItsFirstCheckIsRegistered() throws Exception {
    try (AdminServer admin = AdminServer.start("127.0.0.1", 0, new PrometheusRegistry())) {
      HttpResponse<String> starting = readyz(admin);
      AtomicBoolean streamsRunning = new AtomicBoolean();
      admin.readiness("streams", streamsRunning::get);
      HttpResponse<String> notRunning = readyz(admin);
      streamsRunning.set(true);
      HttpResponse<String> running = readyz(admin);

      assertThat(starting.statusCode()).isEqualTo(503);
      assertThat(starting.body()).isEqualTo("not ready: starting\n");
      assertThat(notRunning.statusCode()).isEqualTo(503);
      assertThat(notRunning.body()).isEqualTo("not ready: streams\n");
      assertThat(running.statusCode()).isEqualTo(200);
      assertThat(running.body()).isEqualTo("ready\n");
      assertThat(healthz(admin).statusCode()).as("alive while starting").isEqualTo(200);
    }
  }

  @Test
  void itsHealthUrlAnswersFromThisProcessWhateverItIsBoundTo() throws Exception {
    for (String host : new String[] {"127.0.0.1", "0.0.0.0"}) {
      try (AdminServer admin = AdminServer.start(host, 0, new PrometheusRegistry())) {
        URI url = admin.healthUrl();
        HttpResponse<String> answer =
            http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(url).hasToString("http://127.0.0.1:" + admin.port() + "/healthz");
        assertThat(answer.statusCode()).as(host).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("ok\n");
      }
    }
  }

  private HttpResponse<String> readyz(AdminServer admin) throws Exception {
    return get(admin, "/readyz");
  }

  private HttpResponse<String> healthz(AdminServer admin) throws Exception {
    return get(admin, "/healthz");
  }

  private HttpResponse<String> get(AdminServer admin, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
