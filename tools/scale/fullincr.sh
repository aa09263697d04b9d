#!/bin/bash
# fullincr.sh YEAR REPO DIR: land YEAR's on-time files in DIR/state, full night; land the late
# ones, incremental night in the same directory (the published files keep their identity).
# Logs: DIR/full.log, DIR/incr.log. The measure of the incremental night's share.
YEAR=$1; REPO=$2; DIR=$3; HERE=$(dirname "$(readlink -f "$0")")
set -e
rm -rf "$DIR"; mkdir -p "$DIR/state"
cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" on-time
echo "== full"; bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$DIR/full.log" 2>&1 || true
grep WALL "$DIR/full.log"
cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" late
echo "== incremental"; bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$DIR/incr.log" 2>&1 || true
grep WALL "$DIR/incr.log"
