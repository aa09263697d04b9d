#!/bin/bash
# fullincr.sh YEAR REPO DIR: land YEAR's on-time files in DIR/state, full night; land the first
# late night's files, incremental night in the same directory (the published files keep their
# identity), the first after a full night; land the second late night's, incremental night, the
# steady state; then a night with no new file. Logs: DIR/full.log, DIR/incr.log, DIR/incr2.log,
# DIR/quiet.log. The measure of the incremental night's share.
YEAR=$1; REPO=$2; DIR=$3; HERE=$(dirname "$(readlink -f "$0")")
set -e
rm -rf "$DIR"; mkdir -p "$DIR/state"
cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" on-time
echo "== full"; bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$DIR/full.log" 2>&1 || true
grep WALL "$DIR/full.log"
for night in late late2; do
  log="$DIR/incr${night#late}.log"
  cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" "$night"
  echo "== incremental ($night)"; bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$log" 2>&1 || true
  grep WALL "$log"
done
echo "== quiet"; bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$DIR/quiet.log" 2>&1 || true
grep WALL "$DIR/quiet.log"
