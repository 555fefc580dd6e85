#!/usr/bin/env bash
# Seeded fault campaign. Each trial: a first run (1, 2 or 3 ranks) on a fresh output
# directory, killed with SIGKILL at a random moment (driver or worker) or left to finish; then random
# edits of its inputs: the dataset's text at the same size, the weights rescaled under the same
# header, per_token switched, the dataset's bias changed; then a resume with 1, 2 or 3 ranks and
# without --force. Every cell of the result must equal a clean run of the inputs it claims: a cell the
# resume calls STALE those of the first run, every other cell those of the edited inputs.
# FAULT_TRIALS (default 8) and FAULT_SEED (default 20261207) choose the trials.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
work=$(fresh_demo fault_campaign)
slow_sweep "$work" code
cd "$work"
data=demo/data/project_code.jsonl
model=demo/models/tiny-llama-s
cp "$data" data.orig && cp "$model/model.safetensors" weights.orig && cp sweep.yaml sweep.orig
edit() { "$ICSWEEP_PYTHON" "$ICSWEEP_SOURCE_DIR/tests/e2e/edit_inputs.py" "$@"; }
fail() { echo "FAIL: trial $trial: $*"; exit 1; }
cells=(tiny-llama-s__project_code tiny-llama-m__project_code)

# set_inputs STATE: STATE = "D W P B" (0/1 each): dataset text edited, weights rescaled, per_token
# off, bias -12.5; files are rewritten from the originals only where they differ.
set_inputs() {
  local d w p b
  read -r d w p b <<<"$1"
  cp data.orig "$data"
  [ "$d" = 1 ] && edit text "$data"
  if [ "$w" != "$(cat weights.state 2>/dev/null || echo 0)" ]; then
    cp weights.orig "$model/model.safetensors"
    [ "$w" = 1 ] && edit weights "$model"
    echo "$w" >weights.state
  fi
  cp sweep.orig sweep.yaml
  [ "$p" = 1 ] && sed -i 's/per_token: true/per_token: false/' sweep.yaml
  [ "$b" = 1 ] && sed -i 's/path: demo\/data\/project_code.jsonl}/path: demo\/data\/project_code.jsonl, bias: -12.5}/' sweep.yaml
  return 0
}

# clean STATE: results of an uninterrupted single-process run on those inputs (cached); prints the dir.
clean() {
  local dir="clean_${1// /}"
  if [ ! -f "$dir/results.h5" ]; then
    set_inputs "$1"
    ICSWEEP_TEST_BATCH_DELAY_MS=0 "$ICSWEEP" run sweep.yaml --output "$dir" >"$dir.log" 2>&1 || { cat "$dir.log"; fail "clean run"; }
  fi
  echo "$dir"
}

# launch NP OUT LOG: the sweep with NP ranks (1: no mpirun) in the background; sets SWEEP_PID.
launch() {
  if [ "$1" -eq 1 ]; then
    "$ICSWEEP" run sweep.yaml --output "$2" >"$3" 2>&1 &
    SWEEP_PID=$!
  else
    start_sweep "$1" "$2" "$3"
  fi
}

RANDOM=${FAULT_SEED:-20261207}
trials=${FAULT_TRIALS:-8}
stale_seen=0 killed=0
for trial in $(seq "$trials"); do
  first="$((RANDOM % 2)) $((RANDOM % 2)) $((RANDOM % 2)) $((RANDOM % 2))"
  second="$((RANDOM % 2)) $((RANDOM % 2)) $((RANDOM % 2)) $((RANDOM % 2))"
  np1=$((1 + RANDOM % 3)) np2=$((1 + RANDOM % 3))
  delay=$(printf '%d.%d' $((1 + RANDOM % 14)) $((RANDOM % 10)))  # a run takes 10-20 s
  kill_it=$((RANDOM % 4))  # 0: the run finishes; else killed at $delay s
  # The first two trials are fixed so that every machine, fast or slow, exercises both cases the
  # final check asks for: a finished run whose inputs then change (its cells must come back STALE),
  # and a kill early enough to land before any cell finishes.
  case $trial in
    1) first="0 0 0 0" second="1 0 0 1" np1=2 np2=1 kill_it=0 ;;
    2) first="0 1 0 0" second="0 1 1 0" np1=2 np2=3 kill_it=1 delay=1.5 ;;
  esac
  clean_first=$(clean "$first") clean_second=$(clean "$second")
  out=trial$trial
  set_inputs "$first"
  launch "$np1" "$out" "$out.first.log"
  if [ "$kill_it" -ne 0 ]; then
    sleep "$delay"
    pid=$SWEEP_PID
    if [ "$np1" -gt 1 ]; then pid=$(rank_pid $((RANDOM % np1))); fi
    kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
  fi
  wait "$SWEEP_PID" || true
  [ "$np1" -gt 1 ] && no_ranks_left "$out"
  set_inputs "$second"
  rc=0
  if [ "$np2" -eq 1 ]; then
    ICSWEEP_TEST_BATCH_DELAY_MS=0 "$ICSWEEP" run sweep.yaml --output "$out" >"$out.resume.log" 2>&1 || rc=$?
  else
    ICSWEEP_TEST_BATCH_DELAY_MS=0 "${MPIRUN[@]}" -np "$np2" "$ICSWEEP" run sweep.yaml --output "$out" >"$out.resume.log" 2>&1 || rc=$?
  fi
  echo "trial $trial: inputs [$first] -> [$second], ranks $np1 -> $np2, $([ "$kill_it" -ne 0 ] && echo "SIGKILL at ${delay}s" || echo "no kill"): resume exited $rc"
  [ "$rc" -eq 0 ] || { tail -30 "$out.resume.log"; fail "the resume exited $rc"; }
  for cell in "${cells[@]}"; do
    if grep -q "cell $cell: STALE" "$out.resume.log"; then
      stale_seen=$((stale_seen + 1))
      check same-cell "$clean_first/results.h5" "$out/results.h5" "$cell" >/dev/null || fail "stale $cell differs from its inputs' clean run"
    else
      check same-cell "$clean_second/results.h5" "$out/results.h5" "$cell" >/dev/null || { grep "cell $cell" "$out.resume.log"; fail "$cell differs from a clean run of the inputs it claims"; }
    fi
  done
  check readable "$out" >/dev/null
done
[ "$killed" -ge 2 ] && [ "$stale_seen" -ge 1 ] || fail "the seed exercised $killed kills and $stale_seen stale cells: choose another"
echo "PASS ($trials trials, $killed kills landed, $stale_seen stale cells kept and named)"
