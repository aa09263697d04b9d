#!/bin/bash
# fullsnap.sh YEAR REPO DIR: as fullincr.sh up to the late files landed, then DIR/state copied to
# DIR/snap (before the incremental night), for try.sh.
YEAR=$1; REPO=$2; DIR=$3; HERE=$(dirname "$(readlink -f "$0")")
set -e
rm -rf "$DIR"; mkdir -p "$DIR/state"
cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" on-time
bash "$HERE/night.sh" "$REPO" "$DIR/state" > "$DIR/full.log" 2>&1 || true
grep WALL "$DIR/full.log"
cd "$REPO" && .venv/bin/python -m tools.scale.land "$YEAR" "$DIR/state/landing" late
cp -a "$DIR/state" "$DIR/snap"
