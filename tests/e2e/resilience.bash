# Helpers of the resilience tests (sourced after lib.bash; not a test itself: ctest runs *.sh only).

# Every batch takes at least 200 ms (worker fault-injection hook), so signals and kills sent after fixed
# delays land mid-sweep on fast machines too (a 16-core machine otherwise finished first). The demo
# datasets hold only the samples held out from the demo models' training (about 70 batches here).
export ICSWEEP_TEST_BATCH_DELAY_MS=${ICSWEEP_TEST_BATCH_DELAY_MS:-200}

# slow_sweep WORK [DATASETS]: smaller batches (more journal records, more points to interrupt at);
# DATASETS "code" keeps only project_code (a shorter sweep for the many kill trials).
slow_sweep() {
  sed -i -e 's/tokens_per_batch: 2048/tokens_per_batch: 1024/' "$1/sweep.yaml"
  if [ "${2:-}" = code ]; then sed -i -e '/name: project_docs/d' "$1/sweep.yaml"; fi
}

# start_sweep NP OUT LOG: mpirun -np NP icsweep run in the background; sets SWEEP_PID (mpirun's pid).
start_sweep() {
  "${MPIRUN[@]}" -np "$1" "$ICSWEEP" run "$work/sweep.yaml" --output "$2" --progress-interval 2 >"$3" 2>&1 &
  SWEEP_PID=$!
}

# rank_pid RANK: pid of that rank of the running sweep (a child of mpirun), waiting up to 30 s for it.
rank_pid() {
  local p i
  for i in $(seq 300); do
    for p in $(ps -o pid= --ppid "$SWEEP_PID" 2>/dev/null); do
      if tr '\0' '\n' </proc/"$p"/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then echo "$p"; return 0; fi
    done
    sleep 0.1
  done
  echo "rank $1 of mpirun $SWEEP_PID not found" >&2
  return 1
}

# wait_journal FILE BYTES: until FILE is larger than BYTES (batches were journaled), at most 120 s.
wait_journal() {
  local i
  for i in $(seq 1200); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ] && return 0
    kill -0 "$SWEEP_PID" 2>/dev/null || { echo "sweep ended before $1 grew past $2 bytes" >&2; return 1; }
    sleep 0.1
  done
  echo "$1 did not grow past $2 bytes" >&2
  return 1
}

# no_ranks_left OUT: no icsweep process of the output directory OUT survives its mpirun.
no_ranks_left() {
  sleep 0.5
  if ps -eo pid=,args= | grep -F -- "--output $1 " | grep -v grep; then
    echo "FAIL: ranks of $1 outlived mpirun" >&2
    return 1
  fi
}

finished_cells() { ls "$1"/cells/*.h5 2>/dev/null | grep -c -v 'tmp-' || true; }
