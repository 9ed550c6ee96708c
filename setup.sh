#!/usr/bin/env bash
# Create .venv with everything kerasish and its tests need, on a machine that has only Python.
# torch is pinned first: an open torch requirement on an empty environment would pull a
# multi-GB CUDA build, while torch==2.13.0 is the CPU wheel this machine keeps on disk.
set -euo pipefail
cd "$(dirname "$0")"
# Graphviz's `dot` draws plot_model's pictures (its test renders a PNG); Debian's package.
if [ "$(id -u)" = 0 ]; then
    command -v dot > /dev/null || (apt-get update -qq && apt-get install -y -qq graphviz > /dev/null)
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "${KERASISH_TORCH_PIN:-torch==2.13.0}"
.venv/bin/python -m pip install --quiet -e ".[test,compat]"
KERAS_BACKEND=torch .venv/bin/python -c "import torch, keras, kerasish; print('kerasish', kerasish.__version__, 'torch', torch.__version__, 'keras', keras.__version__)"
