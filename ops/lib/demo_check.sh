#!/usr/bin/env bash
# The end-to-end test of ops/demo: a reduced campaign on the debug build, then checks that it
# converged or ran its iterations, exported candidates, left its report, and stopped every
# process it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
report=$(mktemp -d /tmp/balmer-demo-check.XXXXXX)
trap '[ "${keep_report:-0}" = 1 ] || rm -rf "$report"' EXIT
echo "== reduced ops/demo (debug build)" >&2
status=0
ops/demo --build debug --train 400 --release 900 --mix single=0.06,double=0.04,other=0.90 \
    --batch 20 --precision 10 --times 2 --max-iterations 3 --epochs 2 --timeout 12 --seed 3 \
    --report "$report/demo" || status=$?
fail() {
    keep_report=1
    tail -n 30 "$report"/demo/logs/balmerd-1.log >&2 || true
    echo "demo check: FAILED: $* (report kept in $report/demo)" >&2
    exit 1
}
[ "$status" = 0 ] || fail "ops/demo exited with $status"
summary="$report/demo/summary.txt"
grep -q '^converged: ' "$summary" || fail "no convergence line in the summary"
grep -Eq '^candidates: [1-9]' "$summary" || fail "no candidates in the summary"
iterations=$(($(wc -l < "$report/demo/iterations.csv") - 1))
grep -q '^converged: at iteration' "$summary" || [ "$iterations" -ge 3 ] || fail "neither converged nor ran its iterations ($iterations)"
[ "$(wc -l < "$report/demo/candidates.csv")" -gt 1 ] || fail "candidates.csv is empty"
grep -q '<TABLE' "$report/demo/candidates.vot" || fail "candidates.vot is not a VOTable"
grep -q '<circle' "$report/demo/precision.svg" || fail "precision.svg has no points"
[ -s "$report/demo/model.safetensors" ] || fail "no model file"
grep -q '"state" *: *"finished"' "$report/demo/status.json" || fail "status does not say finished"
if pgrep -f -- "--kafka.client-id demo-" >/dev/null || pgrep -f "label --simulate /tmp/balmer-demo\\." >/dev/null; then
    fail "processes of the demo are still running"
fi
echo "demo check: passed ($iterations iterations)" >&2
cat "$summary" >&2
