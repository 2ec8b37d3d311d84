#!/usr/bin/env bash
# Runs the test suite in the project's environment (see tools/_python.sh).
# Usage: bash tools/run_tests.sh [pytest options]
set -e
source "$(dirname "$0")/_python.sh"
cd "$(dirname "$0")/.."
exec "$PYTHON" -m pytest "$@"
