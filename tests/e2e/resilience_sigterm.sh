#!/usr/bin/env bash
# SIGTERM/SIGUSR1 during an `mpirun -np 3` sweep: no new batches, in-flight ones are journaled, every
# rank exits and mpirun returns 75; the HDF5 files stay readable. Three interruptions of one output
# directory, each by another route: SIGTERM to the driver (rank 0), the stop file OUTPUT/STOP (what
# the Slurm scripts' trap creates besides forwarding USR1, since not every mpirun build passes USR1 on
# to the ranks), SIGTERM to one worker rank only (it asks the driver to stop). Then a re-run with
# another rank count resumes from the journal and its results equal an uninterrupted run's, bit for
# bit. (SIGTERM to mpirun itself also stops the sweep cleanly, but mpirun then exits 1, not 75.)
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
work=$(fresh_demo resilience_sigterm)
slow_sweep "$work"
"$ICSWEEP" run "$work/sweep.yaml" --output "$work/base" >"$work/base.log" 2>&1
out=$work/run
journal=$out/journal.bin

interrupt() {  # interrupt N TARGET SIGNAL: run, wait for new journal records, signal TARGET
  local n=$1 target=$2 signal=$3 log=$work/run$1.log before pid rc=0
  before=$(stat -c %s "$journal" 2>/dev/null || echo 0)
  start_sweep 3 "$out" "$log"
  wait_journal "$journal" $((before + 4096))
  case $target in
    driver) pid=$(rank_pid 0) ;;
    worker) pid=$(rank_pid 2) ;;
    stopfile) pid= ;;
  esac
  echo "run $n: $signal to $target ${pid:+(pid $pid) }after $(( $(stat -c %s "$journal") - before )) new journal bytes"
  if [ -n "$pid" ]; then kill -"$signal" "$pid"; else touch "$out/STOP"; fi
  wait "$SWEEP_PID" || rc=$?
  [ "$rc" -eq 75 ] || { echo "FAIL: run $n exited $rc, expected 75"; tail -30 "$log"; exit 1; }
  grep -q "no new batches" "$log" || { echo "FAIL: run $n: the driver did not announce the stop"; exit 1; }
  tail -1 "$out/events.jsonl" | grep '"event":"sweep_end"' | grep -q '"exit_code":75' \
    || { echo "FAIL: run $n: events.jsonl does not end with sweep_end 75"; exit 1; }
  no_ranks_left "$out"
  check readable "$out"
  [ "$(finished_cells "$out")" -lt 4 ] || { echo "FAIL: run $n finished the sweep before the signal"; exit 1; }
}

interrupt 1 driver TERM
interrupt 2 stopfile STOP
grep -q "stop file: no new batches" "$work/run2.log" || { echo "FAIL: the stop file was not announced"; exit 1; }
interrupt 3 worker TERM
grep -q "rank 2 got signal 15" "$work/run3.log" || { echo "FAIL: worker's signal not forwarded"; exit 1; }

rc=0
touch "$out/STOP"  # a leftover stop request must not stop the next run
"${MPIRUN[@]}" -np 2 "$ICSWEEP" run "$work/sweep.yaml" --output "$out" >"$work/final.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: resume exited $rc"; tail -30 "$work/final.log"; exit 1; }
grep -q "left by an earlier stop request" "$work/final.log"
grep -E "journal: [0-9]+ finished batches" "$work/final.log"
check same "$work/base/results.h5" "$out/results.h5"
check recompute "$out/results.h5"
echo "PASS"
