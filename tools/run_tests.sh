#!/usr/bin/env bash
# Runs the style check (tools/lint.sh, seconds) and then the test suite in the project's
# environment (see tools/_python.sh). Usage: bash tools/run_tests.sh [pytest options]
# Torch runs one thread per process here: the tests train tiny models, where a second
# thread only adds synchronisation (and thrashes when the two workers share the cores).
set -e
source "$(dirname "$0")/_python.sh"
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
bash tools/lint.sh
# Two pytest workers (pytest-xdist), each test file kept in one worker so that module-scoped
# fixtures (trained tiny models) are built once; PYTEST_WORKERS=0 runs in one process.
exec "$PYTHON" -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
