#!/usr/bin/env bash
# `icsweep score` with its defaults on tiny checkpoints saved by transformers prints the reference
# script's published columns (tests/fixtures/reference_cells/expected.json, computed the way calc_ic.py
# computes them by tests/model/gen_reference_cells.py): an fp32 checkpoint runs in fp32 (dtype auto),
# and GPT-2's config spellings (n_embd, n_layer, n_head, n_inner null) score end to end.
source "$(dirname "$0")/lib.bash"
fixtures="$ICSWEEP_SOURCE_DIR/tests/fixtures/reference_cells"
work="$ICSWEEP_BINARY_DIR/test-scratch/score_reference_cells"
rm -rf "$work" && mkdir -p "$work"
for m in llama_fp32 gpt2_fp32; do
  "$ICSWEEP" score -m "$fixtures/$m" -d "$fixtures/data.jsonl" -l 64 --device cpu --threads 1 -o "$work/$m.h5" \
    > "$work/$m.txt"
  cat "$work/$m.txt"
done
"$ICSWEEP" score -m "$fixtures/llama_fp32" -d "$fixtures/data.jsonl" -l 64 --device cpu --threads 1 --dtype bfloat16 \
  > "$work/llama_bf16.txt"

"$ICSWEEP_PYTHON" - "$work" "$fixtures/expected.json" <<'PY'
import json, re, sys
work, expected = sys.argv[1], json.load(open(sys.argv[2]))
def printed(path):
    text = open(path).read()
    value = lambda key: float(re.search(rf"^{key}\s+(\S+)", text, re.M).group(1))
    return text, {k: value(k) for k in ["constant", "conditional_entropy", "BF16_TFLOPs", "information_capacity", "ic"]}
for name, ref in expected["models"].items():
    text, got = printed(f"{work}/{name}.txt")
    assert f"dtype {ref['model_dtype']} (config.json dtype)" in text, (name, "dtype line", text)
    assert got["constant"] == ref["constant"], (name, got["constant"], ref["constant"])
    # Printed with 5 decimals (TFLOPs with 12 significant digits): equal at that precision.
    for key in ["conditional_entropy", "information_capacity", "ic"]:
        assert abs(got[key] - ref[key]) <= 6e-6, (name, key, got[key], ref[key])
    assert abs(got["BF16_TFLOPs"] - ref["BF16_TFLOPs"]) <= 1e-11 * ref["BF16_TFLOPs"], (name, got, ref)
    print(f"{name}: matches the reference: {got}")
_, bf16 = printed(f"{work}/llama_bf16.txt")
fp32 = expected["models"]["llama_fp32"]["conditional_entropy"]
assert abs(bf16["conditional_entropy"] - fp32) > 1e-4, ("bf16 should differ from the fp32 reference", bf16, fp32)
print("explicit --dtype bfloat16 wins and gives other numbers:", bf16["conditional_entropy"], "vs", fp32)
PY
grep -q "FLOPs notes .*n_embd (GPT2Config attribute_map)" "$work/gpt2_fp32.txt"
if grep -q "/tmp/icsweep-score-" "$work"/*.txt; then echo "score printed a path that is deleted on exit"; exit 1; fi

# A float16 checkpoint on the CPU: Debian's libtorch has no half-precision matmul there, so the cell
# fails before loading with what to set (exit 4); a libtorch that has one scores it in float16.
cp -r "$fixtures/llama_fp32" "$work/llama_fp16"
sed -i 's/"dtype": "float32"/"dtype": "float16"/' "$work/llama_fp16/config.json"
rc=0
"$ICSWEEP" score -m "$work/llama_fp16" -d "$fixtures/data.jsonl" -l 64 --device cpu --threads 1 > "$work/fp16.txt" 2>&1 || rc=$?
cat "$work/fp16.txt"
grep -q "dtype float16 (config.json dtype)" "$work/fp16.txt"
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 4 ] || { echo "expected exit 4 (cell failed), got $rc"; exit 1; }
  grep -q "model_load: loading model $work/llama_fp16: dtype float16 cannot run on cpu" "$work/fp16.txt"
  grep -q 'set `dtype: float32` for this model' "$work/fp16.txt"
  ! grep -q "^samples " "$work/fp16.txt"
else
  grep -q "^conditional_entropy" "$work/fp16.txt"
fi
# A model the FLOPs profile cannot count stops the run before any model loads (exit 2), instead of
# ending the sweep after scoring (the Ruyi quirk needs an integer size in the name).
rc=0
"$ICSWEEP" score -m "$fixtures/llama_fp32" --name tiny-Ruyi-x -d "$fixtures/data.jsonl" -l 64 --device cpu --threads 1 \
  > "$work/ruyi.txt" 2>&1 || rc=$?
cat "$work/ruyi.txt"
[ "$rc" -eq 2 ] || { echo "expected exit 2 (found before loading), got $rc"; exit 1; }
grep -q "FLOPs (reference profile): reference FLOPs for 'tiny-Ruyi-x': Ruyi quirk needs an integer size" "$work/ruyi.txt"
! grep -q "loaded tiny-Ruyi-x" "$work/ruyi.txt"
echo "PASS"
