package io.vigil.embedded.junit;

import io.vigil.embedded.slack.SlackSink;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one {@link SlackSink} per test class and clears it (posts and injected failures) before
 * each test; see {@link WithSlackSink}.
 */
public final class SlackSinkExtension extends ServerExtension<SlackSink>
    implements BeforeEachCallback {
  /** Used by JUnit. */
  public SlackSinkExtension() {
    super(SlackSink.class);
  }

  @Override
  SlackSink start(ExtensionContext owner) {
    return SlackSink.start(0);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    SlackSink sink = existing(context);
    if (sink != null) {
      sink.clear();
    }
  }
}
