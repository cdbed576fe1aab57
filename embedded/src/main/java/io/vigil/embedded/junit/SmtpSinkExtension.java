package io.vigil.embedded.junit;

import io.vigil.embedded.smtp.SmtpSink;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one {@link SmtpSink} per test class and clears its mailboxes before each test; see {@link
 * WithSmtpSink}.
 */
public final class SmtpSinkExtension extends ServerExtension<SmtpSink>
    implements BeforeEachCallback {
  /** Used by JUnit. */
  public SmtpSinkExtension() {
    super(SmtpSink.class);
  }

  @Override
  SmtpSink start(ExtensionContext owner) {
    return SmtpSink.start(0);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    SmtpSink sink = existing(context);
    if (sink != null) {
      sink.clear();
    }
  }
}
