package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.web.TestPki;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class ServerNameTrustTest {
  @Test
  void matchesSubjectAlternativeNamesAsGoDoes() throws Exception {
    TestPki.Issued ca = TestPki.ca("test-ca");
    X509Certificate cert =
        TestPki.issueFor(ca, "ignored.example", "metrics.vigil.test", "*.pods.vigil.test").cert();

    assertThat(ServerNameTrust.matches(cert, "metrics.vigil.test")).isTrue();
    assertThat(ServerNameTrust.matches(cert, "METRICS.vigil.test.")).isTrue();
    assertThat(ServerNameTrust.matches(cert, "a.pods.vigil.test")).as("wildcard").isTrue();
    assertThat(ServerNameTrust.matches(cert, "a.b.pods.vigil.test"))
        .as("a wildcard is one label")
        .isFalse();
    assertThat(ServerNameTrust.matches(cert, "pods.vigil.test")).isFalse();
    assertThat(ServerNameTrust.matches(cert, "ignored.example")).as("no common name").isFalse();
    assertThat(ServerNameTrust.matches(cert, "127.0.0.1")).isFalse();
  }

  @Test
  void matchesIpAddressesAgainstIpEntries() throws Exception {
    X509Certificate cert = TestPki.issue(TestPki.ca("test-ca"), "local").cert(); // 127.0.0.1
    assertThat(ServerNameTrust.matches(cert, "127.0.0.1")).isTrue();
    assertThat(ServerNameTrust.matches(cert, "127.0.0.2")).isFalse();
    assertThat(ServerNameTrust.isIpLiteral("999.0.0.1")).isFalse();
    assertThat(ServerNameTrust.isIpLiteral("::1")).isTrue();
  }
}
