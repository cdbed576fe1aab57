#!/bin/sh
# Demo workload of docker-compose.yml (profile "workload"): pipeline runs reported to the
# collector's OpenLineage endpoint as an Airflow DAG reports them (RunEvents START, then COMPLETE
# or FAIL). The events are the shapes of Airflow's OpenLineage provider (lineage/*.json, taken from
# real events), with namespace, job, run id and times filled in. Every LINEAGE_FAIL_EVERY-th run of the
# first job fails, so PipelineFailed fires (receiver data-oncall) and resolves with the next run.
#
# Environment (defaults in brackets):
#   LINEAGE_URL               [http://collector:4318/api/v1/lineage]
#   LINEAGE_TEMPLATES         [the lineage/ folder beside this script]
#   LINEAGE_NAMESPACE         [airflow]                          job.namespace
#   LINEAGE_JOBS              [orders_daily customers_hourly]    job names: letters, digits, . _ -
#   LINEAGE_RUN_SECONDS       [20]    from START to the end of a run
#   LINEAGE_INTERVAL_SECONDS  [40]    from the end of one round of runs to the next
#   LINEAGE_FAIL_EVERY        [4]
#   WORKLOAD_ITERATIONS       [0]     rounds before exiting; 0: forever
set -eu

URL=${LINEAGE_URL:-http://collector:4318/api/v1/lineage}
TEMPLATES=${LINEAGE_TEMPLATES:-$(dirname "$0")/lineage}
NAMESPACE=${LINEAGE_NAMESPACE:-airflow}
JOBS=${LINEAGE_JOBS:-orders_daily customers_hourly}
RUN_SECONDS=${LINEAGE_RUN_SECONDS:-20}
INTERVAL=${LINEAGE_INTERVAL_SECONDS:-40}
FAIL_EVERY=${LINEAGE_FAIL_EVERY:-4}
ITERATIONS=${WORKLOAD_ITERATIONS:-0}

for job in $JOBS $NAMESPACE; do
  case "$job" in
    *[!A-Za-z0-9._-]*)
      echo "lineage: '$job' may hold only letters, digits, '.', '_' and '-'" >&2
      exit 2
      ;;
  esac
done

post() { # template job run_id
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
  if ! sed -e "s/@EVENT_TIME@/$now/g" -e "s/@RUN_ID@/$3/g" -e "s/@JOB@/$2/g" \
      -e "s/@NAMESPACE@/$NAMESPACE/g" "$TEMPLATES/$1.json" \
    | curl --fail --silent --show-error --max-time 10 -H 'Content-Type: application/json' \
        --data-binary @- --output /dev/null "$URL"; then
    echo "lineage: $1 of $NAMESPACE/$2 (run $3) was not accepted (collector not ready?)" >&2
  fi
}

echo "lineage: runs of ${JOBS} (namespace ${NAMESPACE}) -> ${URL}; the first job fails every ${FAIL_EVERY} runs"
i=0
while [ "$ITERATIONS" -eq 0 ] || [ "$i" -lt "$ITERATIONS" ]; do
  i=$((i + 1))
  runs=""
  for job in $JOBS; do
    run=$(cat /proc/sys/kernel/random/uuid)
    runs="$runs $job=$run"
    post start "$job" "$run"
  done
  sleep "$RUN_SECONDS"
  first=1
  for pair in $runs; do
    if [ "$first" -eq 1 ] && [ $((i % FAIL_EVERY)) -eq 0 ]; then
      post fail "${pair%%=*}" "${pair#*=}"
    else
      post complete "${pair%%=*}" "${pair#*=}"
    fi
    first=0
  done
  if [ "$ITERATIONS" -eq 0 ] || [ "$i" -lt "$ITERATIONS" ]; then sleep "$INTERVAL"; fi
done
