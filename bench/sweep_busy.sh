#!/usr/bin/env bash
# Steady-state GPU busy share of `icsweep run`, on the GPU machine: a random-init
# Qwen2.5-0.5B (bf16, bench_vs_hf.py's shape) with the real Qwen2.5 tokenizer, scored on the five
# the vendored test datasets (build/testdata, unpacked from tests/data/testdata.tar.xz) cut at 1024 tokens, twice (two model entries on the same weights, so no
# reload between them), by one worker rank on cuda:0 with default settings. Prints the progress lines,
# whose "busy" is the share of each interval the worker spent in forwards, and the run's summary.
#   bash bench/sweep_busy.sh [build-gpu/icsweep]
set -euo pipefail
icsweep=$(realpath "${1:-build-gpu/icsweep}")
testdata=$(realpath "${TESTDATA:-build-gpu/testdata}")
work=$(mktemp -d /tmp/sweep_busy.XXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$work/model" <<'EOF' 2>&1 | grep -v -i writing || true
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
from bench_vs_hf import make_model
make_model("qwen2.5-0.5b", sys.argv[1])
EOF
cp "$testdata"/tokenizers/qwen2.5/* "$work/model/"
{
  echo "name: busy"
  echo "models:"
  for m in qwen-a qwen-b; do echo "  - {name: $m, path: $work/model, dtype: bfloat16}"; done
  echo "datasets:"
  for d in en_prose zh_prose code math_latex multilingual; do echo "  - {name: $d, path: $testdata/datasets/$d.jsonl}"; done
  echo "settings: {max_sample_length: 1024, output_dir: $work/results, device: cuda, threads: 8}"
} > "$work/sweep.yaml"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -np 2 "$icsweep" run "$work/sweep.yaml" --progress-interval 1 2>&1 | tail -40
