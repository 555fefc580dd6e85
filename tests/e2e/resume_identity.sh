#!/usr/bin/env bash
# Resume keys on content, not on names: between a kill (or a finished run) and its resume,
# the dataset is edited at the same size, a line turns into a bad record, the weights are rewritten
# under the same header (with and without their date), per_token is switched on, and the derived
# settings (bias, series, flops_profile) change. Each resume must equal a clean run of the inputs it
# claims, or keep a stale cell and say what changed.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
work=$(fresh_demo resume_identity)
slow_sweep "$work" code
cd "$work"
data=demo/data/project_code.jsonl
model=demo/models/tiny-llama-s
cp "$data" data.orig && cp "$model/model.safetensors" weights.orig && cp sweep.yaml sweep.orig
restore() { cp data.orig "$data" && cp -p weights.orig "$model/model.safetensors" && cp sweep.orig sweep.yaml; }
edit() { "$ICSWEEP_PYTHON" "$ICSWEEP_SOURCE_DIR/tests/e2e/edit_inputs.py" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# sweep OUT [ARGS]: a whole single-process run (no batch delay); exit code 0 expected.
sweep() {
  local out=$1 rc=0
  shift
  ICSWEEP_TEST_BATCH_DELAY_MS=0 "$ICSWEEP" run sweep.yaml --output "$out" "$@" >"$out.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { tail -20 "$out.log"; fail "run on $out exited $rc"; }
}
# kill_mid OUT [BYTES]: a run killed with SIGKILL once its journal holds BYTES (default 30000: a few
# batches with per-token values), before it finished.
kill_mid() {
  "$ICSWEEP" run sweep.yaml --output "$1" >"$1.killed.log" 2>&1 &
  SWEEP_PID=$!
  wait_journal "$1/journal.bin" "${2:-30000}"
  kill -KILL "$SWEEP_PID"
  wait "$SWEEP_PID" || true
  [ "$(finished_cells "$1")" -lt 2 ] || fail "$1: the sweep finished before the kill"
}
# want N: scenario N is selected ($RESUME_SCENARIOS, default all; e.g. "1 5" to run the old binary on two).
want() { [[ " ${RESUME_SCENARIOS:-1 2 3 4 5 6 7 8} " == *" $1 "* ]]; }
# clean_run DIR EDIT...: an uninterrupted run on the inputs after EDIT (once per DIR).
clean_run() {
  local dir=$1
  shift
  [ -f "$dir/results.h5" ] && return 0
  "$@"
  sweep "$dir"
  restore
}
expect_log() { grep -q -- "$2" "$1" || { cat "$1"; fail "$1 lacks: $2"; }; }

sweep base

if want 1; then
  echo "== 1. dataset edited at the same size between a kill and its resume"
  clean_run clean_text edit text "$data"
  kill_mid o1
  edit text "$data"
  sweep o1
  check same clean_text/results.h5 o1/results.h5
  expect_log o1.log "journaled batches were scored from other inputs (changed: dataset bytes"
  restore
fi

if want 2; then
  echo "== 2. lines turned into bad records at the same size between a kill and its resume"
  clean_run clean_bad edit bad-record "$data"
  kill_mid o2
  edit bad-record "$data"
  sweep o2
  check same clean_bad/results.h5 o2/results.h5
  restore
fi

if want 3; then
  echo "== 3. a finished cell after its dataset was edited at the same size: stale, then --force"
  clean_run clean_text edit text "$data"
  sweep o3
  edit text "$data"
  sweep o3
  expect_log o3.log "STALE: its inputs changed since it was computed (dataset bytes"
  expect_log o3.log "\-\-force recomputes every stale cell, --restart-cell tiny-llama-s/project_code this one"
  check same base/results.h5 o3/results.h5
  sweep o3 --force
  check same clean_text/results.h5 o3/results.h5
  restore
fi

if want 4; then
  echo "== 4. a finished cell after its weights were rewritten under the same header"
  clean_run clean_weights edit weights "$model"
  sweep o4
  edit weights "$model"
  sweep o4
  expect_log o4.log "tiny-llama-s__project_code: STALE: its inputs changed since it was computed (weights file sizes and dates"
  sweep o4 --restart-cell tiny-llama-s/project_code
  check same clean_weights/results.h5 o4/results.h5
  restore
fi

if want 5; then
  echo "== 5. weights rewritten under the same header and date between a kill and its resume"
  clean_run clean_weights edit weights "$model"
  kill_mid o5
  edit weights "$model" --keep-dates
  sweep o5
  check same clean_weights/results.h5 o5/results.h5
  expect_log o5.log "tiny-llama-s__project_code: its journaled batches were scored with other weights bytes"
  restore
fi

if want 6; then
  echo "== 6. a finished cell after only its weights' dates changed: verified by their bytes, kept"
  sweep o6
  touch "$model/model.safetensors"
  sweep o6
  expect_log o6.log "tiny-llama-s__project_code: weights bytes unchanged (only their dates changed); kept"
  if grep -q "STALE" o6.log; then fail "o6: a touched weights file made a cell stale"; fi
  check same base/results.h5 o6/results.h5
  restore
fi

if want 7; then
  echo "== 7. per_token switched on between a kill and its resume"
  sed -i 's/per_token: true/per_token: false/' sweep.yaml
  kill_mid o7 4000
  restore
  sweep o7
  check same base/results.h5 o7/results.h5
  restore
fi

if want 8; then
  echo "== 8. bias, series and flops_profile changed after the cells finished: re-derived, not rescored"
  sweep o8
  sed -i -e 's/series: tiny-llama,/series: tiny,/' -e 's/path: demo\/data\/project_code.jsonl}/path: demo\/data\/project_code.jsonl, bias: -12.5}/' \
         -e 's/  threads: 1/  threads: 1\n  flops_profile: exact/' sweep.yaml
  grep -q "bias: -12.5" sweep.yaml && grep -q "flops_profile: exact" sweep.yaml || fail "sweep.yaml edit"
  sweep clean_derived
  sweep o8
  check same clean_derived/results.h5 o8/results.h5
  [ "$(grep -c "re-derived from its stored sums without scoring" o8.log)" -eq 2 ] || { cat o8.log; fail "o8: want one re-derived line per cell"; }
  if grep -q "loaded tiny-llama" o8.log; then fail "o8: a model was loaded to re-derive"; fi
  "$ICSWEEP_PYTHON" - o8/results.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    for name in f["cells"]:
        a = f["cells"][name].attrs
        assert a["bias"] == -12.5 and a["model_series"] == "tiny" and a["flops_profile"] == "exact", (name, dict(a))
PY
  restore
fi
echo PASS
