/**
 * The two data-source types Vigil's dashboards use that @grafana/schema 12.1.0 does not publish.
 * Each is copied field for field from where Grafana 12.1.0 declares it; keep them in step when
 * the @grafana/schema version changes (package.json).
 */
import type * as schema from '@grafana/schema';

/**
 * A Prometheus query: `Prometheus` from @grafana/prometheus 12.1.0 (dist/types/dataquery.d.ts),
 * plus `interval` (the per-query minimum step) from its `PromQuery` (dist/types/types.d.ts).
 * That package is not a dependency here because it pulls in React and @grafana/ui. Left out:
 * `scopes`, `adhocFilters` and `groupByKeys`, which Grafana sets at query time and does not save
 * in a dashboard, and PromQuery's editor-state flags.
 */
export interface PrometheusDataQuery extends schema.DataQuery {
  /** Which editor is being used to prepare the query. */
  editorMode?: 'code' | 'builder';
  /** Execute an additional query to identify interesting raw samples relevant for the given expr. */
  exemplar?: boolean;
  /** The expression Prometheus evaluates. */
  expr: string;
  /** How to display data points in the panel. */
  format?: 'time_series' | 'table' | 'heatmap';
  /** Return only the latest value scraped for each series. */
  instant?: boolean;
  /** Minimum step of the query. */
  interval?: string;
  /** @deprecated How many times to divide max data points by. */
  intervalFactor?: number;
  /** Series name template; `{{label}}` is replaced with the label's value. */
  legendFormat?: string;
  /** Return a range vector. */
  range?: boolean;
}

/**
 * The fields an Elasticsearch annotation query keeps next to the generic ones: Grafana's
 * `ElasticsearchAnnotationQuery` (public/app/plugins/datasource/elasticsearch/types.ts in
 * grafana/grafana 12.1.0; not published in any npm package). The Lucene query may be in `query`
 * or in `target.query`; Grafana reads `query` first.
 */
export interface ElasticsearchAnnotationFields {
  query?: string;
  timeField?: string;
  timeEndField?: string;
  titleField?: string;
  textField?: string;
  tagsField?: string;
  /** @deprecated The data source's index is used. */
  index?: string;
}
