package io.vigil.collector.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.vigil.collector.scrape.DiscoveredTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Role {@code ingress}, as Prometheus' {@code ingress.go} builds it. */
class IngressTargetsTest {
  @Test
  void oneTargetPerRuleAndPathHttpsWhereTlsCoversTheHost() {
    Ingress ingress =
        new IngressBuilder()
            .withNewMetadata()
            .withName("shop")
            .withNamespace("shop")
            .addToLabels("app", "shop")
            .addToAnnotations("nginx.ingress.kubernetes.io/rewrite-target", "/")
            .endMetadata()
            .withNewSpec()
            .withIngressClassName("nginx")
            .addNewTl()
            .withHosts("*.shop.example.com")
            .endTl()
            .addNewRule()
            .withHost("www.shop.example.com")
            .withNewHttp()
            .addNewPath()
            .withPath("/")
            .withPathType("Prefix")
            .endPath()
            .addNewPath()
            .withPath("/api")
            .withPathType("Prefix")
            .endPath()
            .endHttp()
            .endRule()
            .addNewRule()
            .withHost("status.example.com")
            .endRule()
            .endSpec()
            .build();

    List<DiscoveredTarget> targets = IngressTargets.all(List.of(ingress));

    assertThat(targets)
        .extracting(
            t ->
                t.labels().get("__meta_kubernetes_ingress_scheme")
                    + "://"
                    + t.labels().get("__address__")
                    + t.labels().get("__meta_kubernetes_ingress_path"))
        .as("the wildcard covers www, not status; a rule without paths is /")
        .containsExactly(
            "https://www.shop.example.com/",
            "https://www.shop.example.com/api",
            "http://status.example.com/");
    assertThat(targets.get(1).labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.ofEntries(
                Map.entry("__address__", "www.shop.example.com"),
                Map.entry("__meta_kubernetes_namespace", "shop"),
                Map.entry("__meta_kubernetes_ingress_name", "shop"),
                Map.entry("__meta_kubernetes_ingress_label_app", "shop"),
                Map.entry("__meta_kubernetes_ingress_labelpresent_app", "true"),
                Map.entry(
                    "__meta_kubernetes_ingress_annotation_nginx_ingress_kubernetes_io_rewrite_target",
                    "/"),
                Map.entry(
                    "__meta_kubernetes_ingress_annotationpresent_nginx_ingress_kubernetes_io_rewrite_target",
                    "true"),
                Map.entry("__meta_kubernetes_ingress_class_name", "nginx"),
                Map.entry("__meta_kubernetes_ingress_scheme", "https"),
                Map.entry("__meta_kubernetes_ingress_host", "www.shop.example.com"),
                Map.entry("__meta_kubernetes_ingress_path", "/api")));
  }

  @Test
  void matchesHostPatternsAsPrometheus() {
    assertThat(IngressTargets.matches("a.example.com", "a.example.com")).isTrue();
    assertThat(IngressTargets.matches("*.example.com", "a.example.com")).isTrue();
    assertThat(IngressTargets.matches("*.example.com", "a.b.example.com")).isFalse();
    assertThat(IngressTargets.matches("*.example.com", "example.com")).isFalse();
    assertThat(IngressTargets.matches("a.*.com", "a.example.com")).isFalse();
  }
}
