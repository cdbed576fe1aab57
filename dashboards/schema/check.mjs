#!/usr/bin/env node
/**
 * Type-checks Grafana dashboard JSON files against @grafana/schema.
 *
 *     node dashboards/schema/check.mjs [folder]      (default: dashboards/grafana/dashboards)
 *
 * Each *.json in the folder is written (in memory) as a TypeScript module holding the dashboard
 * as one object literal, with `satisfies` on the dashboard and on every panel, target and
 * annotation (types in grafana-types.ts), and compiled with the TypeScript compiler, strict. Every
 * error is printed with the file, the panel (id and title) or variable or annotation it is in,
 * and the path of the field. Exit status: 0 no problems, 1 problems, 2 cannot run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  console.error(`cannot load typescript: run "npm ci" in ${HERE}`);
  process.exit(2);
}

const folder = path.resolve(process.argv[2] ?? path.join(HERE, '..', 'grafana', 'dashboards'));
if (process.argv.length > 3 || !fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
  console.error('usage: node check.mjs [folder with dashboard *.json files]');
  process.exit(2);
}
const files = fs
  .readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .sort();
if (files.length === 0) {
  console.error(`no *.json files in ${folder}`);
  process.exit(2);
}

let schemaVersion;
try {
  schemaVersion = JSON.parse(
    fs.readFileSync(path.join(HERE, 'node_modules', '@grafana', 'schema', 'package.json'), 'utf8'),
  ).version;
} catch {
  console.error(`cannot find @grafana/schema: run "npm ci" in ${HERE}`);
  process.exit(2);
}

const problems = [];
const sources = new Map(); // virtual file name -> { text, lines: [path per line], dashboard, file }

for (const file of files) {
  let dashboard;
  try {
    dashboard = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  } catch (e) {
    problems.push(`${file}: not JSON: ${e.message}`);
    continue;
  }
  const header = [
    `import type { AnnotationJson, DashboardJson, PanelJson, QueryJson, RowJson } from '../grafana-types';`,
    '',
    'export const dashboard =',
  ];
  const body = render(dashboard, [], dashboard);
  body[body.length - 1][0] += ` satisfies DashboardJson;`;
  const lines = [...header.map((t) => [t, null]), ...body];
  // Virtual files live next to grafana-types.ts so that imports resolve from here.
  const name = path.join(HERE, '__dashboards__', file.replace(/\.json$/, '.ts'));
  sources.set(name, {
    text: lines.map((l) => l[0]).join('\n') + '\n',
    paths: lines.map((l) => l[1]),
    dashboard,
    file,
  });
}

/**
 * The type a value at `path` is checked against, or null when its parent's type covers it.
 * Panels: `panels[i]`, and `panels[i].panels[j]` inside a row. Targets: `<panel>.targets[k]`.
 */
function checkedType(path, value, root) {
  const parent = path.slice(0, -1);
  const last = path[path.length - 1];
  if (typeof last === 'number' && isPanelsArray(parent)) {
    return value?.type === 'row' ? 'RowJson' : `PanelJson<${JSON.stringify(String(value?.type))}>`;
  }
  if (typeof last === 'number' && parent.at(-1) === 'targets' && isPanelsArray(parent.slice(0, -2))) {
    const panel = get(root, parent.slice(0, -1));
    const type = value?.datasource?.type ?? panel?.datasource?.type ?? '';
    return `QueryJson<${JSON.stringify(String(type))}>`;
  }
  if (typeof last === 'number' && parent.length === 2 && parent[0] === 'annotations' && parent[1] === 'list') {
    return `AnnotationJson<${JSON.stringify(String(value?.datasource?.type ?? ''))}>`;
  }
  return null;
}

function isPanelsArray(p) {
  return (
    (p.length === 1 && p[0] === 'panels') ||
    (p.length === 3 && p[0] === 'panels' && typeof p[1] === 'number' && p[2] === 'panels')
  );
}

function get(root, p) {
  return p.reduce((v, k) => (v == null ? undefined : v[k]), root);
}

/** Lines of TypeScript for `value`, each with the JSON path it stands for. */
function render(value, p, root) {
  let lines;
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
    if (entries.length === 0) {
      lines = [[isArray ? '[]' : '{}', p]];
    } else {
      lines = [[isArray ? '[' : '{', p]];
      entries.forEach(([k, v], i) => {
        const sub = render(v, [...p, k], root);
        if (!isArray) sub[0][0] = `${JSON.stringify(k)}: ${sub[0][0]}`;
        if (i < entries.length - 1) sub[sub.length - 1][0] += ',';
        for (const line of sub) lines.push(['  ' + line[0], line[1]]);
      });
      lines.push([isArray ? ']' : '}', p]);
    }
  } else {
    lines = [[JSON.stringify(value), p]];
  }
  const type = checkedType(p, value, root);
  if (type) lines[lines.length - 1][0] += ` satisfies ${type}`;
  return lines;
}

// ------------------------------------------------------------------ compile

const options = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
  // The library's own declarations are not under test; our generated modules are.
  skipLibCheck: true,
};
const host = ts.createCompilerHost(options);
const readFile = host.readFile.bind(host);
const fileExists = host.fileExists.bind(host);
const getSourceFile = host.getSourceFile.bind(host);
host.readFile = (f) => sources.get(path.resolve(f))?.text ?? readFile(f);
host.fileExists = (f) => sources.has(path.resolve(f)) || fileExists(f);
host.getSourceFile = (f, lang, ...rest) => {
  const source = sources.get(path.resolve(f));
  return source ? ts.createSourceFile(f, source.text, lang, true) : getSourceFile(f, lang, ...rest);
};

const program = ts.createProgram([...sources.keys()], options, host);
for (const d of ts.getPreEmitDiagnostics(program)) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const source = d.file && sources.get(path.resolve(d.file.fileName));
  if (!source) {
    // An error in grafana-types.ts or datasources.ts: the checker itself is broken.
    const where = d.file
      ? `${path.relative(HERE, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
      : 'typescript';
    problems.push(`${where}: ${message}`);
    continue;
  }
  const line = d.file.getLineAndCharacterOfPosition(d.start).line;
  const hint = message.includes("constraint 'keyof PanelTypes'")
    ? ' (no panel options for this type in @grafana/schema; if the type is right, add it to PanelTypes in grafana-types.ts)'
    : '';
  problems.push(`${source.file}: ${describe(source.dashboard, source.paths[line] ?? [])}: ${indent(message)}${hint}`);
}

/** "panel 5 "Request rate per service" › options.legend.displayMode" and the like. */
function describe(root, p) {
  let owner = '';
  let rest = p;
  const panelDepth = p[0] === 'panels' && p[2] === 'panels' && typeof p[3] === 'number' ? 4 : 2;
  if (p[0] === 'panels' && typeof p[1] === 'number') {
    const at = p.length >= panelDepth ? panelDepth : 2;
    const panel = get(root, p.slice(0, at));
    owner = `${panel?.type === 'row' ? 'row' : 'panel'} ${panel?.id ?? '?'} ${JSON.stringify(panel?.title ?? '')}`;
    rest = p.slice(at);
  } else if (p[0] === 'templating' && p[1] === 'list' && typeof p[2] === 'number') {
    owner = `variable ${JSON.stringify(get(root, p.slice(0, 3))?.name ?? '')}`;
    rest = p.slice(3);
  } else if (p[0] === 'annotations' && p[1] === 'list' && typeof p[2] === 'number') {
    owner = `annotation ${JSON.stringify(get(root, p.slice(0, 3))?.name ?? '')}`;
    rest = p.slice(3);
  }
  const field = rest.reduce((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
  return [owner, field || (owner ? '' : '(dashboard)')].filter(Boolean).join(' › ');
}

function indent(message) {
  return message.split('\n').join('\n    ');
}

// ------------------------------------------------------------------ report

const panelCount = [...sources.values()].reduce(
  (n, s) => n + (s.dashboard.panels ?? []).reduce((m, p) => m + 1 + (p.panels?.length ?? 0), 0),
  0,
);
for (const problem of problems) console.log(`PROBLEM: ${problem}`);
const what = `${files.length} dashboard(s), ${panelCount} panel(s) in ${folder} against @grafana/schema ${schemaVersion}`;
if (problems.length > 0) {
  console.log(`${problems.length} problem(s) in ${what}`);
  process.exit(1);
}
console.log(`checked ${what}: no problems`);
