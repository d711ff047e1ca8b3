#!/usr/bin/env bash
# Runs every benchmark of the project, three times each, and the full soak,
# writing the raw output to benchmarks/results/<date>.txt, or to
# <date>-2.txt and so on when that exists (the figures of BENCHMARKS.md
# come from such a file). Run it on a quiet machine, with PostgreSQL at
# MONITEHOOKS_TEST_POSTGRES (default 127.0.0.1:5432) for the River
# comparison: it takes about a quarter of an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results/$(date -u +%Y-%m-%d).txt
for n in 2 3 4 5 6 7 8 9; do # a second run on the same day keeps the first
	[ -e "$out" ] || break
	out=benchmarks/results/$(date -u +%Y-%m-%d)-$n.txt
done
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version) on $(nproc) cores"
	echo "# go test -run '^\$' -bench . -benchmem -count 3 . ./memstore ./internal/objcheck"
	go test -run '^$' -bench . -benchmem -count 3 . ./memstore ./internal/objcheck
	echo "# cd benchmarks/stripecompat && go test -run '^\$' -bench . -benchmem -count 3"
	(cd benchmarks/stripecompat && go test -run '^$' -bench . -benchmem -count 3)
	echo "# cd benchmarks/rivercompare && go test -run '^\$' -bench BenchmarkDeliveryVsRiver -benchtime 1x -count 3 -timeout 30m"
	(cd benchmarks/rivercompare && go test -run '^$' -bench BenchmarkDeliveryVsRiver -benchtime 1x -count 3 -timeout 30m)
	echo "# MONITEHOOKS_SOAK=full go test -run TestSoak -count 1 -v ."
	MONITEHOOKS_SOAK=full go test -run TestSoak -count 1 -v .
} 2>&1 | tee "$out"
echo "wrote $out"
