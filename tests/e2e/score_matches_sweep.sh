#!/usr/bin/env bash
# `icsweep score` on one pair prints the same numbers the sweep stored for that cell, and --output
# writes a cell file that h5py reads back with consistent aggregates.
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo score_matches_sweep)
"$ICSWEEP" run "$work/sweep.yaml" --output "$work/sweep"
"$ICSWEEP" score -m "$work/demo/models/tiny-llama-s" -d "$work/demo/data/project_code.jsonl" -l 256 \
  --dtype float32 --device cpu --threads 1 --tokens-per-batch 2048 --output "$work/cell.h5" | tee "$work/score.txt"
"$ICSWEEP_PYTHON" - "$work" <<'PY'
import re, sys, h5py
work = sys.argv[1]
text = open(f"{work}/score.txt").read()
printed = {k: float(re.search(rf"^{k}\s+(\S+)", text, re.M).group(1)) for k in ["conditional_entropy", "ic", "information_capacity"]}
stored = h5py.File(f"{work}/sweep/results.h5", "r")["cells"]["tiny-llama-s__project_code"].attrs
for k, v in printed.items():
    assert abs(v - float(stored[k])) < 1e-5, (k, v, float(stored[k]))
cell = h5py.File(f"{work}/cell.h5", "r").attrs
assert cell["conditional_entropy"] == stored["conditional_entropy"], "score and sweep differ bitwise"
print("score matches sweep:", printed)
PY
echo "PASS"
