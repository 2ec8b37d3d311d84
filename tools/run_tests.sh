#!/usr/bin/env bash
# Runs the style check (tools/lint.sh, seconds) and then the test suite in the project's
# environment (see tools/_python.sh). Usage: bash tools/run_tests.sh [pytest options]
# Torch runs one thread per process here: the tests train tiny models, where a second
# thread only adds synchronisation (and thrashes when other jobs share the cores).
set -e
source "$(dirname "$0")/_python.sh"
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
bash tools/lint.sh
exec "$PYTHON" -m pytest "$@"
