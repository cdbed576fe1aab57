package io.vigil.processor.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogFileTest {
  private static final String CATALOG =
      """
      jobs:
        - namespace: airflow
          name: nightly_sales
          team: data
          tier: 1
          expected_duration: 2h
          freshness_target: 26h
        - {namespace: dbt, name: orders}
      services:
        - {namespace: shop, name: checkout, team: payments, tier: gold}
      """;

  @TempDir Path dir;

  @Test
  void readsJobsAndServicesIntoCatalogEntries() throws Exception {
    Path file = Files.writeString(dir.resolve("catalog.yaml"), CATALOG);

    CatalogFile catalog = CatalogFile.load(file);

    assertThat(catalog.jobs().get(0).expectedDuration()).isEqualTo(Duration.ofHours(2));
    assertThat(catalog.entries())
        .containsExactly(
            new CatalogEntry("job", "airflow", "nightly_sales", "data", "1", 7200.0, 93600.0),
            new CatalogEntry("job", "dbt", "orders", null, null, null, null),
            new CatalogEntry("service", "shop", "checkout", "payments", "gold", null, null));
    assertThat(catalog.entries())
        .extracting(CatalogEntry::key)
        .containsExactly("job:airflow/nightly_sales", "job:dbt/orders", "service:shop/checkout");
  }

  @Test
  void theExampleCatalogIsValid() {
    CatalogFile example = CatalogFile.load(Path.of("..", "config", "catalog.yaml"));

    assertThat(example.entries())
        .extracting(CatalogEntry::key)
        .containsExactly("job:airflow/nightly_sales", "job:dbt/orders", "service:shop/checkout");
  }

  @Test
  void anExplicitlyEmptyListEmptiesTheCatalog() {
    assertThat(CatalogFile.parse("jobs: []", "c.yaml").entries()).isEmpty();
  }

  @Test
  void rejectsAnUnknownKeyNamingFileEntryAndKey() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("catalog.yaml"),
            """
            jobs:
              - {namespace: airflow, name: nightly_sales, expected_duration: 2h}
              - namespace: airflow
                name: hourly_sync
                expectd_duration: 10m
            """);

    assertThatThrownBy(() -> CatalogFile.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ": jobs[1].expectd_duration: unknown key (known keys: ")
        .hasMessageContaining("expected_duration")
        .hasMessageEndingWith("(job airflow/hourly_sync)");
  }

  @Test
  void rejectsABadDurationNamingTheEntryAndTheValue() {
    assertThatThrownBy(
            () ->
                CatalogFile.parse(
                    "jobs:\n  - {namespace: airflow, name: nightly_sales, freshness_target: soon}\n",
                    "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "catalog.yaml: jobs[0].freshness_target: must be a duration such as 500ms, 10s, 5m or"
                + " 1h, was 'soon' (job airflow/nightly_sales)");
    assertThatThrownBy(
            () ->
                CatalogFile.parse(
                    "jobs:\n  - {namespace: airflow, name: nightly_sales, expected_duration: 0s}\n",
                    "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "catalog.yaml: jobs[0].expected_duration: must be > 0, was '0s'"
                + " (job airflow/nightly_sales)");
  }

  @Test
  void rejectsAJobWithoutANameNamingItsPosition() {
    assertThatThrownBy(
            () ->
                CatalogFile.parse(
                    """
                    jobs:
                      - {namespace: airflow, name: nightly_sales}
                      - {namespace: airflow, team: data}
                    """,
                    "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("catalog.yaml: jobs[1].name: required, was absent (job in namespace airflow)");
    assertThatThrownBy(() -> CatalogFile.parse("services:\n  - {name: checkout}\n", "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "catalog.yaml: services[0].namespace: required, was absent (service ?/checkout)");
  }

  @Test
  void rejectsAJobListedTwice() {
    assertThatThrownBy(
            () ->
                CatalogFile.parse(
                    """
                    jobs:
                      - {namespace: dbt, name: orders, team: a}
                      - {namespace: dbt, name: orders, team: b}
                    """,
                    "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("catalog.yaml: jobs[1]: duplicate of jobs[0] (job dbt/orders)");
  }

  @Test
  void rejectsAnEmptyFileRatherThanEmptyingTheCatalog() {
    assertThatThrownBy(() -> CatalogFile.parse("# nothing yet\n", "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.yaml: <root>: expected 'jobs:' and/or 'services:'");
  }

  @Test
  void rejectsAFileThatIsNotThere() {
    Path missing = dir.resolve("nope.yaml");

    assertThatThrownBy(() -> CatalogFile.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage("processor.catalog.file: no such file, was '" + missing + "'");
  }

  @Test
  void rejectsYamlThatIsNotACatalog() {
    assertThatThrownBy(() -> CatalogFile.parse("jobs: {namespace: a}\n", "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.yaml: jobs: invalid:");
    assertThatThrownBy(() -> CatalogFile.parse("jobs:\n  - [a, b]\n", "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.yaml: jobs[0]: invalid:");
    assertThatThrownBy(
            () -> CatalogFile.parse("jobs:\n  - namespace: 'unterminated\n", "catalog.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.yaml: jobs[0]: invalid: while scanning a quoted scalar");
  }
}
