# Sourced by the launch scripts: picks the Python of the project's environment.
# Order: $PYTHON, the active virtual environment, the project's .venv, then python3.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -n "${VIRTUAL_ENV:-}" ]; then PYTHON="$VIRTUAL_ENV/bin/python"
  elif [ -x "$_root/.venv/bin/python" ]; then PYTHON="$_root/.venv/bin/python"
  else PYTHON=python3; fi
fi
export PYTHONPATH="$_root${PYTHONPATH:+:$PYTHONPATH}"
