#!/usr/bin/env bash
# kill -9 at random moments (fixed seed): 6 trials, alternately the driver (rank 0) and a worker
# rank of an `mpirun -np 3` sweep, each on a fresh output directory. After each kill: mpirun has
# ended every rank, every HDF5 file present opens and reads back (a killed write leaves only a
# *.tmp-PID file, removed by the next run), and a resume run (2 or 3 ranks) completes with results
# bit-identical to an uninterrupted run.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
work=$(fresh_demo resilience_kill)
slow_sweep "$work" code
"$ICSWEEP" run "$work/sweep.yaml" --output "$work/base" >"$work/base.log" 2>&1
RANDOM=20261124
landed=0
for trial in 1 2 3 4 5 6; do
  out=$work/trial$trial
  if [ $((trial % 2)) -eq 1 ]; then target=driver rank=0; else target=worker rank=$((1 + RANDOM % 2)); fi
  delay=$(printf '%d.%d' $((1 + RANDOM % 9)) $((RANDOM % 10)))  # 1.0 .. 9.9 s after the launch
  start_sweep 3 "$out" "$work/trial$trial.log"
  pid=$(rank_pid "$rank")
  sleep "$delay"
  rc=0
  if kill -KILL "$pid" 2>/dev/null; then landed=$((landed + 1)); fi
  wait "$SWEEP_PID" || rc=$?
  echo "trial $trial: SIGKILL to $target (rank $rank) at ${delay}s: mpirun exited $rc," \
       "$(finished_cells "$out") cells finished, journal $(stat -c %s "$out/journal.bin" 2>/dev/null || echo 0) bytes"
  no_ranks_left "$out"
  [ -d "$out" ] && check readable "$out"
  np=$((2 + trial % 2))
  rc=0
  "${MPIRUN[@]}" -np $np "$ICSWEEP" run "$work/sweep.yaml" --output "$out" >"$work/resume$trial.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { echo "FAIL: trial $trial: resume with $np ranks exited $rc"; tail -30 "$work/resume$trial.log"; exit 1; }
  grep -E "^journal: |\(resumed\)|removing" "$work/resume$trial.log" | head -3 || true
  if ls "$out"/*.tmp-* "$out"/cells/*.tmp-* 2>/dev/null; then echo "FAIL: temp files left"; exit 1; fi
  check same "$work/base/results.h5" "$out/results.h5" >/dev/null
  check readable "$out"
done
[ "$landed" -ge 5 ] || { echo "FAIL: only $landed kills landed during a run"; exit 1; }
echo "PASS ($landed kills)"
