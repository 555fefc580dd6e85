#!/usr/bin/env bash
# Creates the demo inputs under DIR (default demo/): datasets cut from the project's own files (docs
# and sources, nothing external; scripts/make_demo_data.py) and a series of three tiny llama models,
# tiny-llama-s/m/l, trained by `icsweep make-tiny-model --train` on train.jsonl (the samples the
# datasets do not hold). All three learn the same BPE merges from train.jsonl, see the same 200
# batches of 8 x 128 tokens (same seed) and differ only in size. About a minute on one core
# (the largest model takes most of it); DEMO_STEPS=N trains N steps instead (tests use a few).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
icsweep=${ICSWEEP:-build/icsweep}
python=${PYTHON:-python3}
steps=${DEMO_STEPS:-200}
mkdir -p "$out/data" "$out/models"
"$python" scripts/make_demo_data.py --root . --out "$out/data"
train=(--family llama --merges 384 --train "$out/data/train.jsonl" --steps "$steps" --batch 8 --seq-len 128
       --lr 5e-3 --seed 1 --threads 1 --log-every 50)
"$icsweep" make-tiny-model "${train[@]}" -o "$out/models/tiny-llama-s" --layers 1 --hidden 32 --heads 2 --kv-heads 1
"$icsweep" make-tiny-model "${train[@]}" -o "$out/models/tiny-llama-m" --layers 2 --hidden 64 --heads 4 --kv-heads 2
"$icsweep" make-tiny-model "${train[@]}" -o "$out/models/tiny-llama-l" --layers 3 --hidden 128 --heads 4 --kv-heads 2
echo "demo inputs in $out/"
