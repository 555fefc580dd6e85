#!/usr/bin/env bash
# Every bad input of the resilience issue through `icsweep run`: the exit code, a message that names
# the file and the line/key/tensor, no crash. What can be known without loading weights (files,
# architectures, safetensors headers, tokenizers, datasets) stops the run before any model loads with
# every problem listed (exit 2); what only loading finds fails its cells while the good ones finish.
# (Finer cases are unit tests: tests/config, tests/data (100 MB line), tests/model/unit_safetensors
# (unknown dtype, overlapping tensors), tests/store (disk full).)
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo bad_inputs)
cd "$work"
head -n 3 demo/data/project_docs.jsonl > small.jsonl
sweep() {  # sweep FILE MODEL_PATH DATA_PATH [SETTINGS_LINE]: a good model plus MODEL_PATH
  cat > "$1" <<YAML
models:
  - {name: good, path: demo/models/tiny-llama-s, dtype: float32}
  - {name: bad, path: $2, dtype: float32}
datasets:
  - {name: d, path: $3}
settings:
  max_sample_length: 64
  device: cpu
  threads: 1
  ${4:-}
YAML
}
failures=0
good_cell_must_finish=0  # set by bad_model: the sweep's good model must still finish its cell
expect() {  # expect NAME RC REGEX YAML [ARGS...]: run, compare the exit code, grep the output
  local name=$1 want=$2 regex=$3 yaml=$4 rc=0 output=()
  shift 4
  [[ " $* " == *" --output "* ]] || output=(--output "out-$name")
  "$ICSWEEP" run "$yaml" "${output[@]}" "$@" >"$name.log" 2>&1 || rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$regex" "$name.log"; then
    echo "FAIL $name: exit $rc (want $want), output:"; sed 's/^/    /' "$name.log" | tail -8
    failures=$((failures + 1))
    return
  fi
  echo "ok   $name: exit $rc: $(grep -E -- "$regex" "$name.log" | head -1 | cut -c1-150)"
  if [ "$good_cell_must_finish" -eq 1 ] && [ "$want" -eq 4 ]; then
    grep -qE "^good__d +ok " "$name.log" || { echo "FAIL $name: the good cell did not finish"; failures=$((failures + 1)); }
  fi
}
bad_model() {  # bad_model NAME: a copy of the demo model to break
  good_cell_must_finish=1
  rm -rf "models/$1" && mkdir -p models && cp -r demo/models/tiny-llama-s "models/$1"
  sweep "$1.yaml" "models/$1" small.jsonl
}

# --- config (exit 2, file:line:column and key) ---
sweep c.yaml demo/models/tiny-llama-m small.jsonl "bogus: 1"
expect unknown_key 2 "c.yaml:[0-9]+:[0-9]+: key 'settings.bogus': unknown key" c.yaml
sweep c.yaml demo/models/tiny-llama-m small.jsonl "tokens_per_bach: 512"
expect typo_key 2 "key 'settings.tokens_per_bach': unknown key; did you mean 'tokens_per_batch'" c.yaml
sweep c.yaml demo/models/tiny-llama-m small.jsonl "per_token: maybe"
expect wrong_type 2 "c.yaml:10:[0-9]+: key 'settings.per_token': expected" c.yaml
sweep c.yaml demo/models/tiny-llama-s small.jsonl && sed -i 's/name: bad/name: good/' c.yaml
expect duplicate_name 2 "c.yaml:3:[0-9]+: key 'models.name': duplicate name 'good' \(first used at line 2\)" c.yaml
sweep c.yaml demo/models/missing small.jsonl
expect missing_path 2 "key 'models\[1\].path': directory .*demo/models/missing does not exist" c.yaml
sweep c.yaml demo/models/tiny-llama-m small.jsonl
touch a-file
expect output_not_writable 2 "output directory .*a-file/sub cannot be created: .*a-file is not a directory" c.yaml --output a-file/sub

expect sweep_file_device 2 "/dev/zero: not a regular file \(a FIFO, socket or device\); give the sweep YAML file" /dev/zero
mkfifo sweep-fifo.yaml
expect sweep_file_fifo 2 "sweep-fifo.yaml: not a regular file" sweep-fifo.yaml
sweep c.yaml demo/models/tiny-llama-m small.jsonl "tokens_per_batch: 1"
expect tiny_budget 2 "key 'settings.tokens_per_batch': must be 0 \(automatic\) or at least max_sample_length \(64\)" c.yaml
sweep c.yaml demo/models/tiny-llama-m small.jsonl
expect bad_device_flag 2 "--device tpu: not a device; expected auto, cpu, cuda or cuda:N" c.yaml --device tpu
expect too_many_workers 2 "--workers 100000: must be between 1 and 256" c.yaml --workers 100000

# --- data ---
mkfifo fifo.jsonl
sweep d.yaml demo/models/tiny-llama-m fifo.jsonl
expect fifo_dataset 2 "key 'datasets\[0\].path': .*fifo.jsonl is not a regular file \(a FIFO, socket or device\)" d.yaml
sweep d.yaml demo/models/tiny-llama-m /dev/zero
expect device_dataset 2 "key 'datasets\[0\].path': /dev/zero is not a regular file" d.yaml
ln -sf loop-b loop-a && ln -sf loop-a loop-b
sweep d.yaml demo/models/tiny-llama-m loop-a
expect symlink_loop 2 "key 'datasets\[0\].path': dataset file .*loop-a is a symlink loop" d.yaml
printf '%s\n' '{"text": "a good line"}' '{bad json' '{"other": 1}' '{"text": 5}' '{"text": ""}' \
  '{"text": "nul \u0000 byte"}' '["not", "an object"]' '{"text": "fine again"}' > bad.jsonl
printf '{"text": "bad \xff utf8"}\n' >> bad.jsonl
sweep d.yaml demo/models/tiny-llama-m bad.jsonl
expect bad_lines_skipped 0 "dataset d: skipped 7 bad line\(s\) of .*bad.jsonl" d.yaml
grep -q "line 2: invalid_json" bad_lines_skipped.log && grep -q "line 3: missing_text" bad_lines_skipped.log \
  && grep -q "line 4: text_not_string" bad_lines_skipped.log && grep -q "line 5: empty_text" bad_lines_skipped.log \
  && grep -q "line 6: nul_byte" bad_lines_skipped.log || { echo "FAIL: bad lines not listed"; failures=$((failures + 1)); }
"$ICSWEEP_PYTHON" - out-bad_lines_skipped/cells/good__d.h5 <<'PY' || failures=$((failures + 1))
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    kinds = sorted(k.decode() for k in f["errors/kind"][:])
    assert kinds == sorted(["empty_text", "invalid_json", "invalid_utf8", "missing_text", "not_object", "nul_byte",
                            "text_not_string"]), kinds
    assert int(f.attrs["samples_scored"]) == 2, f.attrs["samples_scored"]
print("ok   bad lines: all 7 reasons in the cell's errors table, 2 samples scored")
PY
: > empty.jsonl
sweep d.yaml demo/models/tiny-llama-m empty.jsonl
expect empty_file 2 "empty.jsonl: no records: the file is empty" d.yaml
mkdir -p a-dir
sweep d.yaml demo/models/tiny-llama-m a-dir
expect directory_as_file 2 "key 'datasets\[0\].path': .*a-dir is a directory; give a JSONL file" d.yaml

# --- model (found before any model loads: exit 2, naming the model and the file) ---
bad_model no_config && rm models/no_config/config.json
expect missing_config 2 "key 'models\[1\].path': .*models/no_config has no config.json" no_config.yaml
bad_model no_weights && rm models/no_weights/model.safetensors
expect missing_safetensors 2 "models/no_weights: neither model.safetensors nor model.safetensors.index.json found" no_weights.yaml
bad_model truncated && truncate -s -1000 models/truncated/model.safetensors
expect truncated_safetensors 2 "tensor 'model.norm.weight': data_offsets \[[0-9]+, [0-9]+\] outside the data region" truncated.yaml
bad_model bad_header && printf '\x10\x00\x00\x00\x00\x00\x00\x00{not json at all' | dd of=models/bad_header/model.safetensors conv=notrunc 2>/dev/null
expect corrupted_header 2 "models/bad_header/model.safetensors: header is not valid JSON" bad_header.yaml
bad_model bad_dtype && "$ICSWEEP_PYTHON" - models/bad_dtype/model.safetensors <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
header["model.norm.weight"]["dtype"] = "Q4"
text = json.dumps(header, separators=(",", ":")).encode().ljust(n)
assert len(text) == n
open(sys.argv[1], "wb").write(raw[:8] + text + raw[8 + n:])
PY
expect wrong_dtype 2 "tensor 'model.norm.weight'.*Q4" bad_dtype.yaml
bad_model arch && sed -i 's/LlamaForCausalLM/MambaForCausalLM/' models/arch/config.json
expect unknown_architecture 2 "config.json: unsupported architecture 'MambaForCausalLM'; icsweep supports: LlamaForCausalLM" arch.yaml
# Only loading finds that the tensors do not match config.json: that model's cells fail (exit 4), the good one finishes.
bad_model shape && sed -i 's/"intermediate_size": *[0-9]*/"intermediate_size": 96/' models/shape/config.json
expect shape_mismatch 4 "checkpoint has \[88, 32\], config.json implies \[96, 32\]" shape.yaml
bad_model no_tokenizer && rm -f models/no_tokenizer/tokenizer*
expect missing_tokenizer 2 "models/no_tokenizer has no tokenizer.json or tokenizer.model" no_tokenizer.yaml

good_cell_must_finish=0

# --- every problem at once: two broken models and a missing tokenizer directory, one run, one message ---
rm -rf models/both && mkdir -p models/both && cp -r models/arch models/both/arch && cp -r models/truncated models/both/cut
cat > both.yaml <<YAML
models:
  - {name: good, path: demo/models/tiny-llama-s, dtype: float32}
  - {name: arch, path: models/both/arch, dtype: float32}
  - {name: cut, path: models/both/cut, dtype: float32}
datasets:
  - {name: d, path: small.jsonl}
settings: {max_sample_length: 64, device: cpu, threads: 1}
YAML
expect all_at_once 2 "both.yaml: [0-9]+ problem\(s\) found before any model was loaded" both.yaml
grep -q "model arch: .*unsupported architecture 'MambaForCausalLM'" all_at_once.log && grep -q "model cut: .*invalid safetensors header" all_at_once.log \
  && ! grep -q "rank [0-9]*: loaded" all_at_once.log || { echo "FAIL: not every problem listed, or a model loaded"; cat all_at_once.log; failures=$((failures + 1)); }

# --- output: the index deleted mid-run is rewritten; nothing finished is lost ---
export ICSWEEP_TEST_BATCH_DELAY_MS=100
sweep o.yaml demo/models/tiny-llama-m demo/data/project_code.jsonl "tokens_per_batch: 512"
"$ICSWEEP" run o.yaml --output out-deleted >deleted.log 2>&1 &
pid=$!
for i in $(seq 600); do [ -e out-deleted/results.h5 ] && break; sleep 0.1; done
rm -f out-deleted/results.h5
echo "deleted out-deleted/results.h5 while the sweep ran"
wait "$pid" || { echo "FAIL: the sweep failed after its index was deleted"; tail deleted.log; failures=$((failures + 1)); }
unset ICSWEEP_TEST_BATCH_DELAY_MS
"$ICSWEEP" run o.yaml --output out-clean >clean.log 2>&1
check same out-clean/results.h5 out-deleted/results.h5 && echo "ok   index deleted mid-run: final results equal a clean run's"

[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo "PASS"
