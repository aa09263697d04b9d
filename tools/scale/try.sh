#!/bin/bash
# try.sh REPO DIR NAME: DIR/state restored from DIR/snap (fullsnap.sh), the stages' code versions
# set to REPO's (align.py), then the incremental night of REPO's code under cProfile
# (/tmp/NAME.prof, log /tmp/NAME.log). Timing only: the results kept are those of the code that
# ran the full night.
REPO=$1; DIR=$2; NAME=$3; HERE=$(dirname "$(readlink -f "$0")")
rm -rf "$DIR/state" && cp -a "$DIR/snap" "$DIR/state"
cd "$REPO" && .venv/bin/python -m tools.scale.align "$DIR/state" > /dev/null
# PREVIOUS=1: the steady state, a previous analysts' copy kept (tools.scale.previous_copy)
[ -n "$PREVIOUS" ] && (cd "$REPO" && .venv/bin/python -m tools.scale.previous_copy "$DIR/state")
cd "$REPO" && PYTHONPATH="$REPO" COLUMNS=200 /usr/bin/time -f "WALL %e s MAXRSS %M KB" .venv/bin/python \
  "$HERE/profiled_night.py" "$DIR/state" "/tmp/$NAME.prof" > "/tmp/$NAME.log" 2>&1
grep WALL "/tmp/$NAME.log"; sed -n '/Durée par étape/,/└/p' "/tmp/$NAME.log"
