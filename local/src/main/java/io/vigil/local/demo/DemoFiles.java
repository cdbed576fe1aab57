package io.vigil.local.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files {@code vigil demo} writes into its work folder, so that what the demo runs is exactly
 * what a user can run again with {@code vigil standalone --config .vigil/demo/vigil.yaml}.
 */
final class DemoFiles {
  private DemoFiles() {}

  static final String RULES =
      """
      # Alert rules of `vigil demo` (format: alerting/README.md).
      groups:
        - name: golden-signals
          rules:
            - alert: HighErrorRatio
              expr: errors.ratio > 0.05
              for: 0s
              labels:
                severity: critical
                team: shop
              annotations:
                summary: "{{ $labels.service }} in {{ $labels.namespace }} fails {{ $value | humanizePercentage }} of its requests"
                runbook: "Check the latest deploy of {{ $labels.service }}; roll back if it is the cause."
            - alert: HighLatencyP99
              expr: latency_ms.p99 > 1500
              for: 20s
              labels:
                severity: warning
                team: shop
              annotations:
                summary: "{{ $labels.service }} p99 latency is {{ $value | humanize }} ms"
            - alert: ErrorLogsSurge
              expr: logs.error_rate_per_s > 2
              for: 10s
              labels:
                severity: warning
                team: shop
              annotations:
                summary: "{{ $labels.service }} writes {{ $value | humanize }} error logs per second"
        - name: pipelines
          rules:
            - alert: PipelineFailed
              expr: pipeline.failed > 0
              labels:
                severity: critical
                team: data
              annotations:
                summary: "{{ $labels.job_namespace }}/{{ $labels.job }}: the last run failed"
            - alert: DataQualityFailed
              expr: pipeline.data_quality.failed > 0
              labels:
                severity: warning
                team: data
              annotations:
                summary: "{{ $labels.job }}: {{ $value }} data-quality assertions failed"
            - alert: PipelineOverdue
              expr: pipeline.overdue > 0
              labels:
                severity: warning
                team: data
              annotations:
                summary: "{{ $labels.job }} is still running past its expected duration"
      """;

  /**
   * The catalog of expectations ({@code processor.catalog.file}): the demo pipeline is expected to
   * take at most 20 s, so its run records carry {@code sla} (their duration against it), and its
   * hanging run is overdue after 20 s (the catalog's value replaces {@code
   * pipelines.overdue_after}).
   */
  static final String CATALOG =
      """
      # Catalog of `vigil demo`: what is expected of each pipeline (format: processor/README.md,
      # "Catalog of expectations"). A run longer than expected_duration breaches its SLA; one still
      # running after it is overdue.
      jobs:
        - namespace: %s
          name: %s
          expected_duration: 20s
      """
          .formatted(DemoPipeline.NAMESPACE, DemoPipeline.JOB);

  static String alertmanager(String slackUrl, String smtpHost, int smtpPort) {
    return """
        # Notification routing of `vigil demo`, in Alertmanager's format.
        global:
          slack_api_url: '%s'
          smtp_smarthost: '%s:%d'
          smtp_from: 'vigil@shop.example'
          smtp_require_tls: false
        route:
          receiver: shop-oncall
          group_by: [alertname, service]
          group_wait: 1s
          group_interval: 10s
          repeat_interval: 1h
          routes:
            - matchers: [team="data"]
              receiver: data-oncall
              group_by: [job]
        receivers:
          - name: shop-oncall
            slack_configs:
              - channel: '#shop-alerts'
                send_resolved: true
            email_configs:
              - to: 'oncall@shop.example'
                send_resolved: true
          - name: data-oncall
            slack_configs:
              - channel: '#data-alerts'
                send_resolved: true
        inhibit_rules:
          # a failing service pages once: its warnings wait
          - source_matchers: [severity="critical", team="shop"]
            target_matchers: [severity="warning", team="shop"]
            equal: [service]
          # a failed run says it all: its data-quality warning is muted
          - source_matchers: [severity="critical", team="data"]
            target_matchers: [severity="warning", team="data"]
            equal: [job]
        """
        .formatted(slackUrl, smtpHost, smtpPort);
  }

  static String collector(
      String bootstrap, int grpcPort, int httpPort, int adminPort, Path logs, int processorPort) {
    return """
          kafka:
            bootstrap_servers: %s
          logs:
            enabled: true
            include: ['%s/pods/*/*/*.log']
            start_at: beginning
            multiline_start: '^(INFO|WARN|ERROR|DEBUG) '
            checkpoint_id: demo
            resource: {k8s.cluster.name: demo}
          scrape:
            enabled: true
            interval: 5s
            timeout: 2s
            jobs:
              - job: vigil-collector
                targets: ['127.0.0.1:%d']
              - job: vigil-processor
                targets: ['127.0.0.1:%d']
          lag:
            enabled: true
            interval: 5s
            clusters: [{name: demo, bootstrap_servers: '%s'}]
          otlp:
            grpc:
              host: 127.0.0.1
              port: %d
            http:
              host: 127.0.0.1
              port: %d
          admin:
            host: 127.0.0.1
            port: %d
        """
        .formatted(
            bootstrap, logs, adminPort, processorPort, bootstrap, grpcPort, httpPort, adminPort);
  }

  static String processor(String bootstrap, Path stateDir, Path catalog, int adminPort) {
    return """
          kafka:
            bootstrap_servers: %s
          state_dir: '%s'
          window: 10s
          grace: 5s
          pipelines:
            overdue_after: 20s
            freshness_interval: 10s
          catalog:
            file: '%s'
          admin:
            host: 127.0.0.1
            port: %d
        """
        .formatted(bootstrap, stateDir, catalog, adminPort);
  }

  static String alerting(
      String bootstrap,
      Path rules,
      Path alertmanager,
      String elasticsearchUrl,
      Path stateDir,
      int adminPort) {
    return """
          kafka:
            bootstrap_servers: %s
          rule_files: ['%s']
          alertmanager_config: '%s'
          elasticsearch:
            url: %s
          external_url: http://127.0.0.1:%d
          state_dir: '%s'
          admin:
            host: 127.0.0.1
            port: %d
        """
        .formatted(
            bootstrap, rules, alertmanager, elasticsearchUrl, adminPort, stateDir, adminPort);
  }

  static String standalone(int kafkaPort, String collector, String processor, String alerting) {
    return "# Written by `vigil demo`. Run the same pipeline with:\n"
        + "#   ELASTICSEARCH_URL=http://… ./vigil standalone --config .vigil/demo/vigil.yaml\n"
        + "# after pointing alertmanager.yml at your Slack webhook and SMTP server (the demo's\n"
        + "# sinks and Elasticsearch stop with the demo).\n"
        + "embedded_kafka:\n  port: "
        + kafkaPort
        + "\ncollector:\n"
        + collector
        + "processor:\n"
        + processor
        + "alerting:\n"
        + alerting;
  }

  static Path write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, content);
  }
}
