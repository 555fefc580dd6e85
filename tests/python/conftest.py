"""pytest set-up: make `analysis` (repo root) and `synth` (this folder) importable from any cwd,
so ctest can run `python3 -m pytest tests/python` from the build directory."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for path in (ROOT, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)
