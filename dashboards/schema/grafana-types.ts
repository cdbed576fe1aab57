/**
 * The types a Grafana dashboard JSON file is checked against: @grafana/schema's `Dashboard`, with
 * the parts it leaves open (`options`, `fieldConfig.defaults.custom`, `targets`, data-source
 * specific annotation fields) filled in with the panel and query types @grafana/schema also
 * publishes. check.mjs writes each dashboard as a TypeScript object literal and puts a
 * `satisfies` on the dashboard, on every panel, target and annotation, so the compiler's checks
 * of object literals apply everywhere: an unknown (misspelt) key is an error, a missing required
 * key is an error, a value of the wrong type or outside an enum is an error.
 *
 * Nothing here loosens a type from @grafana/schema. Two things are not in @grafana/schema and are
 * declared in ./datasources.ts: the Prometheus query (published only inside @grafana/prometheus)
 * and the Elasticsearch annotation fields (only in Grafana's plugin source).
 */
import type * as schema from '@grafana/schema';
import type { ElasticsearchDataQuery } from '@grafana/schema/dist/types/raw/composable/elasticsearch/dataquery/x/ElasticsearchDataQuery_types.gen.d.ts';
import type * as BarChart from '@grafana/schema/dist/types/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen.d.ts';
import type * as BarGauge from '@grafana/schema/dist/types/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen.d.ts';
import type * as Gauge from '@grafana/schema/dist/types/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen.d.ts';
import type * as Heatmap from '@grafana/schema/dist/types/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen.d.ts';
import type * as Histogram from '@grafana/schema/dist/types/raw/composable/histogram/panelcfg/x/HistogramPanelCfg_types.gen.d.ts';
import type * as Logs from '@grafana/schema/dist/types/raw/composable/logs/panelcfg/x/LogsPanelCfg_types.gen.d.ts';
import type * as PieChart from '@grafana/schema/dist/types/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen.d.ts';
import type * as Stat from '@grafana/schema/dist/types/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen.d.ts';
import type * as StateTimeline from '@grafana/schema/dist/types/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen.d.ts';
import type * as StatusHistory from '@grafana/schema/dist/types/raw/composable/statushistory/panelcfg/x/StatusHistoryPanelCfg_types.gen.d.ts';
import type * as Table from '@grafana/schema/dist/types/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen.d.ts';
import type * as Text from '@grafana/schema/dist/types/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen.d.ts';
import type * as TimeSeries from '@grafana/schema/dist/types/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen.d.ts';
import type * as Trend from '@grafana/schema/dist/types/raw/composable/trend/panelcfg/x/TrendPanelCfg_types.gen.d.ts';
import type * as XYChart from '@grafana/schema/dist/types/raw/composable/xychart/panelcfg/x/XYChartPanelCfg_types.gen.d.ts';
import type { ElasticsearchAnnotationFields, PrometheusDataQuery } from './datasources';

/**
 * A type as it is written in JSON. @grafana/schema declares some string values as TypeScript
 * enums (`ThresholdsMode`, `FieldColorModeId`, `BigValueColorMode`, …), to which a plain string
 * is not assignable; in JSON an enum member is its value, so each string enum becomes the union
 * of its values (`"absolute" | "percentage"`). Everything else is kept as declared: optional
 * stays optional, required stays required, index signatures stay, numeric enums stay (a number
 * literal is assignable to a numeric enum only if it is one of its values).
 */
export type JsonOf<T> = 0 extends 1 & T
  ? T // any
  : T extends string
    ? `${T}`
    : T extends number | boolean | null | undefined
      ? T
      : T extends ReadonlyArray<infer E>
        ? Array<JsonOf<E>>
        : T extends object
          ? { [K in keyof T]: JsonOf<T[K]> }
          : T;

/** Panel types whose options and field config @grafana/schema publishes, by plugin id. */
export interface PanelTypes {
  barchart: { options: BarChart.Options; custom: BarChart.FieldConfig };
  bargauge: { options: BarGauge.Options; custom: NoCustom };
  gauge: { options: Gauge.Options; custom: NoCustom };
  heatmap: { options: Heatmap.Options; custom: Heatmap.FieldConfig };
  histogram: { options: Histogram.Options; custom: Histogram.FieldConfig };
  logs: { options: Logs.Options; custom: NoCustom };
  piechart: { options: PieChart.Options; custom: PieChart.FieldConfig };
  stat: { options: Stat.Options; custom: NoCustom };
  'state-timeline': { options: StateTimeline.Options; custom: StateTimeline.FieldConfig };
  'status-history': { options: StatusHistory.Options; custom: StatusHistory.FieldConfig };
  table: { options: Table.Options; custom: Table.FieldConfig };
  text: { options: Text.Options; custom: NoCustom };
  timeseries: { options: TimeSeries.Options; custom: TimeSeries.FieldConfig };
  trend: { options: Trend.Options; custom: Trend.FieldConfig };
  xychart: { options: XYChart.Options; custom: XYChart.FieldConfig };
}

/** A panel type without a custom field config: `custom` may be absent or `{}`. */
type NoCustom = Record<string, never>;

/** Queries by data source type. */
export interface QueryTypes {
  elasticsearch: ElasticsearchDataQuery;
  prometheus: PrometheusDataQuery;
}

/** Annotation queries by data source type; other types get @grafana/schema's generic one. */
export interface AnnotationTypes {
  /** The built-in "Annotations & Alerts" query: its `target` is an `AnnotationTarget`. */
  grafana: Omit<schema.AnnotationQuery, 'target'> & { target?: schema.AnnotationTarget };
  elasticsearch: Omit<schema.AnnotationQuery, 'target'> & {
    target?: ElasticsearchDataQuery;
  } & ElasticsearchAnnotationFields;
}

type FieldConfigJson<C> = JsonOf<Omit<schema.FieldConfig, 'custom'>> & {
  custom?: JsonOf<C>;
};

/**
 * One override property: `id` is the path of a field-config option (`unit`, `color`,
 * `custom.lineWidth`, …) and `value` has that option's type, so a misspelt id or a wrong value is
 * an error rather than an override Grafana silently ignores.
 */
type OverrideProperty<C> =
  | {
      [K in Exclude<keyof schema.FieldConfig, 'custom'>]-?: {
        id: K;
        value?: JsonOf<schema.FieldConfig[K]>;
      };
    }[Exclude<keyof schema.FieldConfig, 'custom'>]
  | { [K in keyof C & string]-?: { id: `custom.${K}`; value?: JsonOf<C[K]> } }[keyof C & string];

type FieldConfigSourceJson<C> = {
  defaults: FieldConfigJson<C>;
  overrides: Array<{
    matcher: JsonOf<schema.MatcherConfig>;
    properties: Array<OverrideProperty<C>>;
  }>;
};

type PanelBase = JsonOf<Omit<schema.Panel, 'type' | 'options' | 'fieldConfig' | 'targets'>>;

/**
 * A panel of type `T`. Its targets are each checked (by a `satisfies` of their own) against the
 * query type of their data source, hence `object` here.
 */
export type PanelJson<T extends keyof PanelTypes> = PanelBase & {
  type: T;
  options?: JsonOf<PanelTypes[T]['options']>;
  fieldConfig?: FieldConfigSourceJson<PanelTypes[T]['custom']>;
  targets?: Array<object>;
};

/** A row; its panels (when collapsed) are each checked as panels. */
export type RowJson = JsonOf<Omit<schema.RowPanel, 'panels'>> & { panels: Array<object> };

/**
 * A query of data source type `D`; a data source type without a published query type (or a
 * target whose data source type is not known) gets @grafana/schema's common `DataQuery`.
 */
export type QueryJson<D extends string> = D extends keyof QueryTypes
  ? JsonOf<QueryTypes[D]>
  : JsonOf<schema.DataQuery>;

export type AnnotationJson<D extends string> = D extends keyof AnnotationTypes
  ? JsonOf<AnnotationTypes[D]>
  : JsonOf<schema.AnnotationQuery>;

/** The dashboard; panels and annotations are each checked by a `satisfies` of their own. */
export type DashboardJson = JsonOf<Omit<schema.Dashboard, 'panels' | 'annotations'>> & {
  panels?: Array<object>;
  annotations?: { list?: Array<object> };
};
