#!/usr/bin/env bash
# Style check (seconds): flake8, isort and yapf with the settings of setup.cfg; prints what
# is off and exits non-zero. Fix with: isort mmtlgan tools tests configs && yapf -i -r ...
set -e
source "$(dirname "$0")/_python.sh"
cd "$(dirname "$0")/.."
paths=(mmtlgan tools tests configs setup.py)
"$PYTHON" -m flake8 "${paths[@]}"
"$PYTHON" -m isort --check-only --diff "${paths[@]}"
out=$("$PYTHON" -m yapf --diff -r "${paths[@]}") || { echo "$out"; echo "[lint] yapf would reformat the files above"; exit 1; }
echo "[lint] flake8, isort, yapf: clean"
