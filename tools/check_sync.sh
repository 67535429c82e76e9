#!/usr/bin/env bash
# Fails when nbs/ and the committed package or README disagree: the notebooks are the source.
set -euo pipefail
cd "$(dirname "$0")/.."
sum() { find mirip_lab -name '*.py' -not -path '*/__pycache__/*' | sort | xargs sha256sum; }
before=$(sum)
.venv/bin/nbdev_export
if [ "$before" != "$(sum)" ]; then
  echo "FAIL: mirip_lab/ did not match the notebooks; nbdev_export has now rewritten it. Review and commit mirip_lab/." >&2
  exit 1
fi
if ! .venv/bin/python tools/readme.py --check; then
  echo "FAIL: README.md is out of date with nbs/index.ipynb: run 'make readme' and commit README.md." >&2
  exit 1
fi
echo "export in sync: mirip_lab/ and README.md match nbs/"
