package io.vigil.embedded.slack;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.json.Json;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SlackPostTest {

  @Test
  void exposesTheTextFieldWhenThereIsOne() throws Exception {
    String body = "{\"text\":\"hi\",\"blocks\":[]}";
    SlackPost post =
        new SlackPost(
            "/x", "application/json", body, Json.mapper().readTree(body), Instant.EPOCH, true);

    assertThat(post.text()).isEqualTo("hi");
  }

  @Test
  void hasNoTextWithoutJsonOrTextField() throws Exception {
    assertThat(new SlackPost("/x", null, "nope", null, Instant.EPOCH, true).text()).isNull();
    assertThat(
            new SlackPost("/x", null, "{}", Json.mapper().readTree("{}"), Instant.EPOCH, true)
                .text())
        .isNull();
  }
}
