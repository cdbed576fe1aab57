#!/usr/bin/env python3
"""Static checks of Vigil's Grafana and Kibana files (no Grafana or Kibana needed).

    python3 dashboards/check.py

1. every JSON / NDJSON / YAML file under dashboards/ parses;
2. every data source uid a Grafana dashboard uses is provisioned, with the right type;
3. every Elasticsearch field a panel, variable, annotation or Kibana object uses is mapped by
   the index template of the index it queries (alerting/src/main/resources/.../elasticsearch);
4. every Prometheus metric and label a panel uses is registered in the Java sources.

Prints what it checked and every problem; exits 1 if there is one.
"""
import glob
import json
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TEMPLATES = os.path.join(ROOT, "alerting/src/main/resources/io/vigil/alerting/elasticsearch")
problems = []


def problem(msg):
    problems.append(msg)
    print("PROBLEM:", msg)


# ------------------------------------------------------------------ index templates


def template_fields(path):
    """Mapped field paths of an index template; flattened fields accept any sub-key."""
    with open(path, encoding="utf-8") as f:
        t = json.load(f)
    exact, flattened = set(), set()

    def walk(props, prefix):
        for name, spec in props.items():
            full = prefix + name
            if "properties" in spec:
                walk(spec["properties"], full + ".")
            else:
                exact.add(full)
                if spec.get("type") == "flattened":
                    flattened.add(full)

    walk(t["template"]["mappings"]["properties"], "")
    return t["index_patterns"], exact, flattened


INDEX_TEMPLATES = {}
for p in sorted(glob.glob(os.path.join(TEMPLATES, "*.json"))):
    patterns, exact, flattened = template_fields(p)
    INDEX_TEMPLATES[os.path.basename(p)] = (patterns, exact, flattened)


def template_for(index):
    for name, (patterns, exact, flattened) in INDEX_TEMPLATES.items():
        for pat in patterns:
            if re.fullmatch(re.escape(pat).replace(r"\*", ".*"), index):
                return name, exact, flattened
    return None, set(), set()


def field_known(field, exact, flattened):
    return field in exact or any(field.startswith(f + ".") for f in flattened)


# ------------------------------------------------------------------ Lucene / KQL field names

LUCENE_FIELD = re.compile(r"(?<![\w.@\\])([A-Za-z@][\w.@]*)\s*:(?!\*)")
EXISTS = re.compile(r"_exists_:([\w.@]+)")


def lucene_fields(q):
    q = re.sub(r'"[^"]*"', '""', q or "")
    fields = set(EXISTS.findall(q))
    for m in LUCENE_FIELD.finditer(q):
        if m.group(1) != "_exists_":
            fields.add(m.group(1))
    return fields


def kql_fields(q):
    q = re.sub(r'"[^"]*"', '""', q or "")
    return set(re.findall(r"([A-Za-z@][\w.@]*)\s*:", q))


# ------------------------------------------------------------------ 1. parsing

parsed = {}
for path in sorted(glob.glob(os.path.join(HERE, "**", "*"), recursive=True)):
    rel = os.path.relpath(path, ROOT)
    if "node_modules" in rel.split(os.sep):
        continue  # the schema checker's installed packages (schema/node_modules), not ours
    if path.endswith(".json"):
        try:
            with open(path, encoding="utf-8") as f:
                parsed[rel] = json.load(f)
            print(f"ok   JSON    {rel}")
        except ValueError as e:
            problem(f"{rel}: not JSON: {e}")
    elif path.endswith(".ndjson"):
        objs = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    problem(f"{rel}:{n}: empty line")
                    continue
                try:
                    objs.append(json.loads(line))
                except ValueError as e:
                    problem(f"{rel}:{n}: not JSON: {e}")
        parsed[rel] = objs
        print(f"ok   NDJSON  {rel} ({len(objs)} objects)")
    elif path.endswith((".yaml", ".yml")):
        if yaml is None:
            print(f"skip YAML    {rel} (python3-yaml not installed)")
            continue
        try:
            with open(path, encoding="utf-8") as f:
                parsed[rel] = yaml.safe_load(f)
            print(f"ok   YAML    {rel}")
        except yaml.YAMLError as e:
            problem(f"{rel}: not YAML: {e}")

# ------------------------------------------------------------------ 2. data sources

datasources = {}
for rel, doc in parsed.items():
    if "provisioning/datasources" in rel and isinstance(doc, dict):
        for d in doc.get("datasources", []):
            index = d.get("jsonData", {}).get("index")
            datasources[d["uid"]] = (d["type"], index)
            if d["type"] == "elasticsearch":
                if d.get("jsonData", {}).get("timeField") != "@timestamp":
                    problem(f"{rel}: {d['uid']}: jsonData.timeField is not @timestamp")
                name, exact, _ = template_for(index or "")
                if not name:
                    problem(f"{rel}: {d['uid']}: no index template matches index {index!r}")
                elif "@timestamp" not in exact:
                    problem(f"{rel}: {d['uid']}: @timestamp is not mapped in {name}")
print(f"provisioned data sources: {', '.join(sorted(datasources))}")

# ------------------------------------------------------------------ Prometheus names in Java

java_metrics = {}  # exposed name -> set of labels
for path in glob.glob(os.path.join(ROOT, "*/src/main/java/**/*.java"), recursive=True):
    src = open(path, encoding="utf-8").read()
    for m in re.finditer(r"(Counter|GaugeWithCallback|Gauge|Histogram|Summary)\.builder\(\)(.*?)\.register\(",
                         src, re.S):
        kind, body = m.group(1), m.group(2)
        name = re.search(r'\.name\("([^"]+)"\)', body)
        if not name:
            continue
        labels = re.search(r"\.labelNames\(([^)]*)\)", body)
        label_set = set(re.findall(r'"([^"]+)"', labels.group(1))) if labels else set()
        n = name.group(1)
        if kind == "Counter":
            n = n[: -len("_total")] if n.endswith("_total") else n
            n += "_total"
        java_metrics[n] = label_set | {"job", "instance"}

# ------------------------------------------------------------------ 3/4. Grafana dashboards

used_fields = []  # (where, index, field)


def es_field(where, uid, field):
    if uid in datasources:  # an unknown uid is reported once, where it is used
        used_fields.append((where, datasources[uid][1], field))


def check_prom_expr(where, expr, legend):
    for metric in set(re.findall(r"\b(vigil_[a-z_]+)\b", expr)):
        if metric not in java_metrics:
            problem(f"{where}: metric {metric} is not registered in the Java sources")
            continue
        labels = set()
        for grp in re.findall(r"by \(([^)]*)\)", expr):
            labels |= {l.strip() for l in grp.split(",") if l.strip()}
        labels |= set(re.findall(r"\b(\w+)=~?\"", expr))
        labels |= set(re.findall(r"\{\{(\w+)\}\}", legend or ""))
        for l in labels - java_metrics[metric]:
            problem(f"{where}: label {l!r} is not a label of {metric} ({sorted(java_metrics[metric])})")


def ds_uid(where, ref, expect_type=None):
    if not isinstance(ref, dict):
        return None
    uid = ref.get("uid")
    if uid not in datasources:
        problem(f"{where}: data source uid {uid!r} is not provisioned")
    elif ref.get("type") != datasources[uid][0]:
        problem(f"{where}: data source {uid} has type {ref.get('type')!r}, provisioned as {datasources[uid][0]}")
    return uid


panel_count = 0
for rel, dash in parsed.items():
    if "grafana/dashboards" not in rel:
        continue
    if dash.get("schemaVersion", 0) < 36:
        problem(f"{rel}: schemaVersion {dash.get('schemaVersion')} is older than Grafana 9")
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        problem(f"{rel}: duplicate panel ids")
    for v in dash["templating"]["list"]:
        where = f"{rel} variable {v['name']}"
        uid = ds_uid(where, v.get("datasource"))
        if datasources.get(uid, (None,))[0] == "elasticsearch":
            q = json.loads(v["query"])
            es_field(where, uid, q["field"])
            for f in lucene_fields(q.get("query", "")):
                es_field(where, uid, f)
    for a in dash["annotations"]["list"]:
        if a.get("builtIn"):
            continue
        where = f"{rel} annotation {a['name']}"
        uid = ds_uid(where, a.get("datasource"))
        for key in ("timeField", "textField", "tagsField"):
            if a.get(key):
                es_field(where, uid, a[key])
        for f in lucene_fields(a.get("query", "")):
            es_field(where, uid, f)
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        panel_count += 1
        where = f"{rel} panel {p['title']!r}"
        if not p.get("title") or not p.get("description"):
            problem(f"{where}: needs a title and a description")
        panel_uid = ds_uid(where, p.get("datasource"))
        for t in p.get("targets", []):
            uid = ds_uid(where, t.get("datasource"))
            if uid != panel_uid:
                problem(f"{where}: target data source {uid} differs from the panel's {panel_uid}")
            if datasources.get(uid, (None,))[0] == "prometheus":
                check_prom_expr(where, t["expr"], t.get("legendFormat"))
                continue
            for f in lucene_fields(t.get("query", "")):
                es_field(where, uid, f)
            for m in t.get("metrics", []):
                if m.get("field"):
                    es_field(where, uid, m["field"])
                if m["type"] == "bucket_script":
                    ids_ = {x["id"] for x in t["metrics"]}
                    for pv in m["pipelineVariables"]:
                        if pv["pipelineAgg"] not in ids_:
                            problem(f"{where}: bucket_script refers to missing metric {pv['pipelineAgg']}")
            for b in t.get("bucketAggs", []):
                if b.get("field"):
                    es_field(where, uid, b["field"])
            for term in re.findall(r"\{\{term ([^}]+)\}\}", t.get("alias", "")):
                if term not in [b.get("field") for b in t.get("bucketAggs", [])]:
                    problem(f"{where}: alias uses {term}, which is not a terms field of the query")
        for tr in p.get("transformations", []):
            if tr["id"] == "filterFieldsByName":
                for f in tr["options"]["include"]["names"]:
                    es_field(where + " (table column)", panel_uid, f)

# ------------------------------------------------------------------ Kibana saved objects

for rel, objs in parsed.items():
    if not rel.endswith(".ndjson"):
        continue
    by_id = {(o["type"], o["id"]): o for o in objs}
    views = {o["id"]: o["attributes"]["title"] for o in objs if o["type"] == "index-pattern"}
    for o in objs:
        where = f"{rel} {o['type']} {o['id']}"
        for key in ("type", "id", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"):
            if key not in o:
                problem(f"{where}: missing {key}")
        for r in o.get("references", []):
            if (r["type"], r["id"]) not in by_id:
                problem(f"{where}: reference {r['type']}/{r['id']} is not in the file")
        a = o["attributes"]
        if o["type"] == "index-pattern":
            if a.get("timeFieldName") != "@timestamp":
                problem(f"{where}: timeFieldName is not @timestamp")
            used_fields.append((where, a["title"], a["timeFieldName"]))
            for f in json.loads(a.get("fieldFormatMap", "{}")):
                used_fields.append((where, a["title"], f))
        elif o["type"] == "search":
            ref = next(r for r in o["references"] if r["type"] == "index-pattern")
            index = views.get(ref["id"])
            src = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
            if src.get("indexRefName") != ref["name"]:
                problem(f"{where}: indexRefName does not name its reference")
            for f in set(a["columns"]) | {s[0] for s in a["sort"]} | kql_fields(src["query"]["query"]):
                used_fields.append((where, index, f))
        elif o["type"] == "lens":
            state = a["state"]
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                ref = next((r for r in o["references"]
                            if r["name"] == f"indexpattern-datasource-layer-{layer_id}"), None)
                if not ref:
                    problem(f"{where}: no reference for layer {layer_id}")
                    continue
                for col_id, col in layer["columns"].items():
                    if col_id not in layer["columnOrder"]:
                        problem(f"{where}: column {col_id} missing from columnOrder")
                    if col.get("sourceField") and col["sourceField"] != "___records___":
                        used_fields.append((where, views.get(ref["id"]), col["sourceField"]))
            for vl in state["visualization"]["layers"]:
                cols = state["datasourceStates"]["formBased"]["layers"][vl["layerId"]]["columns"]
                for acc in vl["accessors"] + [vl["xAccessor"], vl.get("splitAccessor")]:
                    if acc and acc not in cols:
                        problem(f"{where}: visualization refers to missing column {acc}")
        elif o["type"] == "dashboard":
            panels = json.loads(a["panelsJSON"])
            names = {r["name"] for r in o["references"]}
            for pnl in panels:
                if f"{pnl['panelIndex']}:{pnl['panelRefName']}" not in names:
                    problem(f"{where}: panel {pnl['panelIndex']} has no matching reference")
                if pnl["gridData"]["i"] != pnl["panelIndex"]:
                    problem(f"{where}: panel {pnl['panelIndex']}: gridData.i differs from panelIndex")

# ------------------------------------------------------------------ field report

checked = 0
for where, index, field in used_fields:
    name, exact, flattened = template_for(index or "")
    if not name:
        problem(f"{where}: no index template for index {index!r}")
        continue
    checked += 1
    if not field_known(field, exact, flattened):
        problem(f"{where}: field {field!r} is not mapped in {name} (index {index})")

distinct = sorted({(str(i), f) for _, i, f in used_fields})
print(f"grafana panels checked: {panel_count}")
print(f"elasticsearch field uses checked: {checked} ({len(distinct)} distinct index/field pairs):")
for index, field in distinct:
    print(f"    {index:34s} {field}")
print(f"prometheus metrics known from the Java sources: {len(java_metrics)}")
if problems:
    print(f"{len(problems)} problem(s)")
    sys.exit(1)
print("no problems")
