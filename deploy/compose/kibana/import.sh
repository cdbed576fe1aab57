#!/bin/sh
# One-shot service "kibana-import" of docker-compose.yml: imports Vigil's Kibana saved objects
# (dashboards/kibana/*.ndjson: data views, saved searches, a Lens chart, a dashboard) through
# Kibana's saved-objects API once Kibana answers, then exits: 0 when Kibana took every object of
# every file, 1 otherwise (with Kibana's answer), 2 when there is nothing to import. The objects
# have fixed ids and are imported with overwrite=true, so running it again updates them in place.
#
# Environment (defaults in brackets):
#   KIBANA_URL             [http://kibana:5601]
#   KIBANA_SAVED_OBJECTS   [/saved-objects]   folder of the *.ndjson files
#   KIBANA_WAIT_SECONDS    [300]   how long to wait for GET /api/status to answer 200
#   KIBANA_POLL_SECONDS    [5]     between two such requests
#
# By hand, from the repository root (Kibana without security, as in docker-compose.yml):
#   KIBANA_URL=http://localhost:5601 KIBANA_SAVED_OBJECTS=dashboards/kibana sh deploy/compose/kibana/import.sh
set -eu

URL=${KIBANA_URL:-http://kibana:5601}
DIR=${KIBANA_SAVED_OBJECTS:-/saved-objects}
WAIT=${KIBANA_WAIT_SECONDS:-300}
POLL=${KIBANA_POLL_SECONDS:-5}

set -- "$DIR"/*.ndjson
if [ ! -f "$1" ]; then
  echo "kibana-import: no *.ndjson file in $DIR" >&2
  exit 2
fi

# Kibana answers 503 while it starts (and migrates its saved objects); 200 once it serves.
deadline=$(($(date +%s) + WAIT))
while :; do
  status=$(curl --silent --output /dev/null --max-time 10 --write-out '%{http_code}' \
    "$URL/api/status" 2>/dev/null) || true
  [ "$status" = 200 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "kibana-import: $URL/api/status did not answer 200 within ${WAIT} s (last: ${status:-000})" >&2
    exit 1
  fi
  sleep "$POLL"
done

failed=0
for file in "$@"; do
  name=$(basename "$file")
  # Kibana takes the file only from a multipart field "file" whose file name ends in .ndjson.
  answer=$(curl --silent --show-error --max-time 120 --write-out '\n%{http_code}' \
    -X POST -H 'kbn-xsrf: true' --form "file=@$file" \
    "$URL/api/saved_objects/_import?overwrite=true" 2>&1) || true
  code=$(printf '%s\n' "$answer" | tail -n 1)
  body=$(printf '%s\n' "$answer" | sed '$d')
  case "$code:$body" in
    200:*'"success":true'*)
      count=$(printf '%s' "$body" | sed -n 's/.*"successCount":\([0-9]*\).*/\1/p')
      echo "kibana-import: $name: ${count:-?} saved objects imported into $URL"
      ;;
    *)
      echo "kibana-import: $name was not imported (HTTP $code): $body" >&2
      failed=1
      ;;
  esac
done
exit "$failed"
