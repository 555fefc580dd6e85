#!/usr/bin/env bash
# Creates the demo inputs under DIR (default demo/): datasets cut from the project's own files
# (docs and sources, nothing external) and tiny random models whose BPE merges are learned from them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
icsweep=${ICSWEEP:-build/icsweep}
python=${PYTHON:-python3}
mkdir -p "$out/data" "$out/models"
"$python" scripts/make_demo_data.py --root . --out "$out/data"
corpus="$out/data/corpus.txt"
"$icsweep" make-tiny-model --family llama --out "$out/models/tiny-llama" --layers 2 --hidden 64 --merges 384 --corpus "$corpus" --seed 1
"$icsweep" make-tiny-model --family qwen2 --out "$out/models/tiny-qwen2" --layers 2 --hidden 96 --merges 384 --corpus "$corpus" --seed 2
echo "demo inputs in $out/"
