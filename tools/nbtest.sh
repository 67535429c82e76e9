#!/usr/bin/env bash
# Runs nbdev_test over every notebook, prints per-notebook timings and a closing 'N passed, N failed' line,
# and fails when a notebook failed or when no notebook ran at all (nbdev_test says 'Success.' then).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
# nbdev_test runs notebooks in parallel processes; torch's default of one intra-op thread per core then
# oversubscribes the CPU (measured on the 2-core CI VM: a tiny CNN step went from 16 ms to ~1 s under load).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
.venv/bin/nbdev_test --do_print --timing "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
started=$(grep -c '^Starting ' "$log" || true)
failed=$(awk '/Tests Failed On The Following Notebooks/{f=1;next} f&&/\.ipynb/{n++} END{print n+0}' "$log")
rm -f "$log"
echo "notebooks: $((started-failed)) passed, $failed failed"
if [ "$started" -eq 0 ]; then echo "FAIL: no notebook was tested" >&2; exit 1; fi
exit $rc
