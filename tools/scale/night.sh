#!/bin/bash
# night.sh REPO STATE: one `dsnpipe run` of REPO's code on STATE (landing/, entrepot.duckdb),
# timed by /usr/bin/time (WALL, MAXRSS), the step table printed wide.
REPO=$1; STATE=$2
cd "$REPO" && COLUMNS=200 \
  DSNPIPE_PSEUDONYM_KEY="${DSNPIPE_PSEUDONYM_KEY:-clé de bench xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}" \
  /usr/bin/time -f "WALL %e s MAXRSS %M KB" "$REPO/.venv/bin/python" -m pipelines.cli run \
  --landing "$STATE/landing" --warehouse "$STATE/entrepot.duckdb"
