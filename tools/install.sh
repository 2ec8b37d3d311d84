#!/usr/bin/env bash
# Installs mmtlgan and its pinned OpenMMLab stack.
#
# Usage: bash tools/install.sh
#
# Installs into the active virtual environment ($VIRTUAL_ENV); when none is active it creates
# (or reuses) `.venv` in the project root. Idempotent: every step checks first and does nothing
# when its result is already there, so a second run neither downloads nor rebuilds MMCV.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -n "${VIRTUAL_ENV:-}" ]; then
  VENV="$VIRTUAL_ENV"
else
  VENV="$ROOT/.venv"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "[install] creating virtual environment $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check -c "$ROOT/requirements/constraints.txt")
start=$(date +%s)

have() {  # have "python expression" -> exit 0 when it runs
  "$PY" - <<EOF >/dev/null 2>&1
$1
EOF
}

step() { echo "[install] $*"; }

# 1. Build tools and torch (torch first: MMCV compiles against it).
if ! have "import setuptools, wheel, ninja, numpy
assert int(setuptools.__version__.split('.')[0]) < 70 and numpy.__version__ < '2'"; then
  step "build tools"
  "${PIP[@]}" -q -r requirements/build.txt
fi
if ! have "import torch, torchvision
assert torch.__version__.split('+')[0] == '2.9.1' and torchvision.__version__.split('+')[0] == '0.24.1'"; then
  step "torch 2.9.1 + torchvision 0.24.1"
  "${PIP[@]}" -q -r requirements/torch.txt
fi

# 2. MMCV 2.1.0 with compiled ops (no wheel for this torch: built from the sdist, ~9 min on
#    2 cores the first time; pip's wheel cache makes later installs on this machine quick).
if ! have "import mmcv, mmcv.ops
assert mmcv.__version__ == '2.1.0'"; then
  step "mmcv 2.1.0 with ops (compiles on first install)"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
    "${PIP[@]}" -q --no-build-isolation -r requirements/mmcv.txt
fi

# 3. The rest of the stack, test tools, and mmtlgan itself (editable).
if ! have "from importlib.metadata import version as v
from importlib.util import find_spec
assert v('mmengine') == '0.10.7' and v('mmpretrain') == '1.2.0' and v('mmagic') == '1.2.0'
assert v('scikit-learn') and v('pytest') and v('albumentations') and v('tensorboard')
assert v('pytest-xdist') == '3.8.0' and v('flake8') == '7.5.0' and v('isort') == '5.13.2'
assert find_spec('mmtlgan').origin.startswith('$ROOT/')"; then
  step "mmengine, mmpretrain, mmagic and test tools"
  "${PIP[@]}" -q -r requirements/runtime.txt -r requirements/tests.txt
  step "mmtlgan (editable)"
  "${PIP[@]}" -q --no-build-isolation --no-deps -e .
fi

step "pip check"
"$PY" -m pip check
step "done in $(( $(date +%s) - start )) s: $("$PY" -c 'import mmtlgan, torch, mmcv, mmengine, mmpretrain, mmagic; print(f"mmtlgan {mmtlgan.__version__}, torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmpretrain {mmpretrain.__version__}, mmagic {mmagic.__version__}")')"
