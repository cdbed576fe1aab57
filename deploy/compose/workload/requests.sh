#!/bin/sh
# Demo workload of docker-compose.yml (profile "workload"): HTTP server traffic for a few
# services, sent to the collector as OTLP/HTTP JSON, the way an OpenTelemetry SDK exports it —
# the `http.server.request.duration` histogram (stable HTTP semantic conventions, unit s, delta
# temporality) with `http.response.status_code` on every point. That is the metric the processor
# turns into golden signals (processor/README.md, "Input"); telemetrygen's histograms carry no
# unit, which the processor rightly refuses.
#
# Now and then one service has an incident (errors and slow requests for a while), so
# HighErrorRatio fires, the alert email reaches Mailpit, and it resolves again.
#
# Environment (defaults in brackets):
#   OTLP_METRICS_URL            [http://collector:4318/v1/metrics]
#   REQUESTS_SERVICES           [checkout payments catalog]   service.name of each sender
#   REQUESTS_PER_SECOND         [40]    per service
#   REQUESTS_INTERVAL_SECONDS   [5]     one export per service per interval
#   INCIDENT_SERVICE            [payments]
#   INCIDENT_EVERY_SECONDS      [300]   an incident at the end of every such period...
#   INCIDENT_SECONDS            [90]    ...lasting this long: 25 % errors, 10x the latency
#   WORKLOAD_ITERATIONS         [0]     exports per service before exiting; 0: forever
set -eu

URL=${OTLP_METRICS_URL:-http://collector:4318/v1/metrics}
SERVICES=${REQUESTS_SERVICES:-checkout payments catalog}
PER_SECOND=${REQUESTS_PER_SECOND:-40}
INTERVAL=${REQUESTS_INTERVAL_SECONDS:-5}
INCIDENT_SERVICE=${INCIDENT_SERVICE:-payments}
INCIDENT_EVERY=${INCIDENT_EVERY_SECONDS:-300}
INCIDENT_SECONDS=${INCIDENT_SECONDS:-90}
ITERATIONS=${WORKLOAD_ITERATIONS:-0}

# One ExportMetricsServiceRequest in OTLP/JSON (int64 values as strings, as the spec says):
# one delta histogram point for the 2xx requests and one for the 5xx requests of the interval.
# Latencies: most near the service's median, a long tail of one request in twenty.
body() { # service start_seconds end_seconds requests error_ratio median_seconds seed
  awk -v service="$1" -v start="$2" -v end="$3" -v n="$4" -v errors="$5" -v median="$6" \
      -v seed="$7" 'BEGIN {
    srand(seed)
    nb = split("0.005 0.01 0.025 0.05 0.075 0.1 0.25 0.5 0.75 1 2.5 5 7.5 10", bounds, " ")
    printf "{\"resourceMetrics\":[{\"resource\":{\"attributes\":["
    printf "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"%s\"}},", service
    printf "{\"key\":\"service.namespace\",\"value\":{\"stringValue\":\"shop\"}},"
    printf "{\"key\":\"service.instance.id\",\"value\":{\"stringValue\":\"%s-1\"}},", service
    printf "{\"key\":\"k8s.cluster.name\",\"value\":{\"stringValue\":\"compose\"}}"
    printf "]},\"scopeMetrics\":[{\"scope\":{\"name\":\"vigil-compose-workload\"},"
    printf "\"metrics\":[{\"name\":\"http.server.request.duration\",\"unit\":\"s\","
    printf "\"description\":\"Duration of HTTP server requests.\","
    printf "\"histogram\":{\"aggregationTemporality\":1,\"dataPoints\":["
    failed = int(n * errors + 0.5)
    point(200, n - failed, median)
    printf ","
    point(500, failed, median * 2)
    printf "]}}]}]}]}\n"
  }
  function point(status, count, m,    i, j, v, sum, buckets, sep) {
    for (j = 1; j <= nb + 1; j++) buckets[j] = 0
    sum = 0
    for (i = 0; i < count; i++) {
      # Most requests near the median, one in twenty in a long tail (no libm: busybox awk
      # may be built without it).
      v = rand() < 0.95 ? m * (0.4 + 1.2 * rand()) : m * (2 + 8 * rand())
      sum += v
      for (j = 1; j <= nb && v > bounds[j] + 0; j++) {}
      buckets[j]++
    }
    printf "{\"attributes\":["
    printf "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
    printf "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/api/%s\"}},", service
    printf "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%d\"}}],", status
    printf "\"startTimeUnixNano\":\"%d000000000\",\"timeUnixNano\":\"%d000000000\",", start, end
    printf "\"count\":\"%d\",\"sum\":%.6f,\"bucketCounts\":[", count, sum
    sep = ""
    for (j = 1; j <= nb + 1; j++) { printf "%s\"%d\"", sep, buckets[j]; sep = "," }
    printf "],\"explicitBounds\":["
    sep = ""
    for (j = 1; j <= nb; j++) { printf "%s%s", sep, bounds[j]; sep = "," }
    printf "]}"
  }'
}

began=$(date +%s)
last=$((began - INTERVAL))
i=0
echo "requests: ${SERVICES} -> ${URL}, ${PER_SECOND}/s each; ${INCIDENT_SERVICE} fails for" \
  "${INCIDENT_SECONDS}s of every ${INCIDENT_EVERY}s"
while [ "$ITERATIONS" -eq 0 ] || [ "$i" -lt "$ITERATIONS" ]; do
  i=$((i + 1))
  now=$(date +%s)
  if [ "$now" -le "$last" ]; then now=$((last + 1)); fi
  phase=$(((now - began) % INCIDENT_EVERY))
  k=0
  for service in $SERVICES; do
    k=$((k + 1))
    errors=0.002
    median=0.04
    if [ "$service" = "$INCIDENT_SERVICE" ] && [ "$phase" -ge $((INCIDENT_EVERY - INCIDENT_SECONDS)) ]; then
      errors=0.25
      median=0.4
    fi
    requests=$(((now - last) * PER_SECOND))
    payload=$(body "$service" "$last" "$now" "$requests" "$errors" "$median" $((now * 64 + k)))
    if ! printf '%s' "$payload" \
      | curl --fail --silent --show-error --max-time 10 -H 'Content-Type: application/json' \
          --data-binary @- --output /dev/null "$URL"; then
      echo "requests: export of ${service} failed (collector not ready?); next in ${INTERVAL}s" >&2
    fi
  done
  last=$now
  if [ "$ITERATIONS" -eq 0 ] || [ "$i" -lt "$ITERATIONS" ]; then sleep "$INTERVAL"; fi
done
