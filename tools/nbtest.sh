#!/usr/bin/env bash
# Runs every notebook's tests with nbdev's own test_nb in a process pool (tools/nbtest.py), prints per-notebook results
# and timings and a closing 'notebooks: N passed, N failed' line counted from test_nb's return values, and fails when a
# notebook failed or none ran. Then checks that the run left no new file or folder behind in the working tree
# (untracked, or ignored outside the caches below). Arguments pass through: --path GLOB, --flags 'slow', --n_workers N.
set -uo pipefail
cd "$(dirname "$0")/.."
# nbdev_test runs notebooks in parallel processes; torch's default of one intra-op thread per core then
# oversubscribes the CPU (measured on the 2-core CI VM: a tiny CNN step went from 16 ms to ~1 s under load).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# What git sees besides tracked files: untracked paths, and ignored ones folded to their top folder; caches are expected.
leftovers() {
  { git ls-files --others --exclude-standard --directory
    git ls-files --others --ignored --exclude-standard --directory; } 2>/dev/null |
    grep -Ev '(^|/)(__pycache__|\.ipynb_checkpoints|\.pytest_cache|_proc|_docs|\.cache)/$|\.pyc$|^\.venv/$|\.egg-info/$' | sort -u
}
before=$(leftovers)
.venv/bin/python tools/nbtest.py "$@"
rc=$?
new=$(comm -13 <(printf '%s\n' "$before") <(leftovers) | sed '/^$/d')
if [ -n "$new" ]; then
  echo "FAIL: the tests left these paths behind (write into a tempfile.TemporaryDirectory, or delete them):" >&2
  printf '  %s\n' $new >&2
  rc=1
fi
exit $rc
