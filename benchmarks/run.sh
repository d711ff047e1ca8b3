#!/usr/bin/env bash
# Runs every benchmark of the project, three times each, and the full soak,
# writing the raw output to benchmarks/results/<date>.txt (the figures of
# BENCHMARKS.md come from such a file). Run it on a quiet machine: it takes
# about ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results/$(date -u +%Y-%m-%d).txt
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version) on $(nproc) cores"
	echo "# go test -run '^\$' -bench . -benchmem -count 3 . ./memstore"
	go test -run '^$' -bench . -benchmem -count 3 . ./memstore
	echo "# cd benchmarks/stripecompat && go test -run '^\$' -bench . -benchmem -count 3"
	(cd benchmarks/stripecompat && go test -run '^$' -bench . -benchmem -count 3)
	echo "# MONITEHOOKS_SOAK=full go test -run TestSoak -count 1 -v ."
	MONITEHOOKS_SOAK=full go test -run TestSoak -count 1 -v .
} 2>&1 | tee "$out"
echo "wrote $out"
