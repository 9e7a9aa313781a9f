#!/usr/bin/env bash
# Runs every Go native fuzz target of discod, one after another, each for
# FUZZTIME (default 5m), with one worker (the machines we share have few
# cores). A crash stops the run; its input is written under the package's
# testdata/fuzz/<Name>/, where it becomes a seed that `go test` replays:
# commit it with the fix as the regression test.
#
#   scripts/fuzz.sh                 # every target, 5 minutes each
#   FUZZTIME=30s scripts/fuzz.sh    # a quick pass
#   scripts/fuzz.sh FuzzHostilePeer # the targets named
#   KEEP=40 scripts/fuzz.sh         # also keep up to 40 of the inputs the
#                                   # run found interesting as committed seeds
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5m}
PARALLEL=${PARALLEL:-1}
KEEP=${KEEP:-0}
module=$($GO list -m)
cache=$($GO env GOCACHE)/fuzz

# package target, one per line: every func Fuzz* in a _test.go file.
targets=$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
	while read -r file; do
		pkg=./$(dirname "${file#./}")
		grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s|^func |$pkg |"
	done | sort)

if [ $# -gt 0 ]; then
	want=" $* "
	targets=$(echo "$targets" | while read -r pkg name; do
		case "$want" in *" $name "*) echo "$pkg $name" ;; esac
	done)
fi
[ -n "$targets" ] || { echo "fuzz.sh: no fuzz target found" >&2; exit 1; }

echo "$targets" | while read -r pkg name; do
	echo "== $name ($pkg) for $FUZZTIME"
	$GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$PARALLEL" "$pkg"
	if [ "$KEEP" -gt 0 ] && [ -d "$cache/$module/${pkg#./}/$name" ]; then
		mkdir -p "$pkg/testdata/fuzz/$name"
		find "$cache/$module/${pkg#./}/$name" -type f | sort | head -n "$KEEP" |
			xargs -r cp -t "$pkg/testdata/fuzz/$name/"
	fi
done
