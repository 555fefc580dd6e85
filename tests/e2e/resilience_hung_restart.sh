#!/usr/bin/env bash
# A hung worker (SIGSTOP: a stuck GPU or a frozen node that MPI does not notice) ends the job after
# --batch-timeout with exit 3 and a message naming its rank, host and batch; finished batches stay
# journaled and the next run completes with an uninterrupted run's results. Then --restart-cell
# recomputes exactly one cell from scratch (same numbers again), and a misspelt cell is refused (exit 2)
# with the list of cells.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
# Without single-copy (containers that forbid process_vm_readv, like the GPU machine's) a message past
# the eager size moves only while its sender makes MPI calls: the stopped rank is then caught in the
# middle of sending its result, which once blocked the driver in MPI_Recv for good.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
work=$(fresh_demo resilience_hung_restart)
slow_sweep "$work"
"$ICSWEEP" run "$work/sweep.yaml" --output "$work/base" >"$work/base.log" 2>&1
out=$work/run

rc=0
"${MPIRUN[@]}" -np 3 "$ICSWEEP" run "$work/sweep.yaml" --output "$out" --batch-timeout 6 >"$work/hung2.log" 2>&1 &
SWEEP_PID=$!
pid=$(rank_pid 2)
wait_journal "$out/journal.bin" 4096
kill -STOP "$pid"
started=$(date +%s)
wait "$SWEEP_PID" || rc=$?
took=$(( $(date +%s) - started ))
cat "$work/hung2.log" | grep -v '^\[ ' | tail -5
[ "$rc" -eq 3 ] || { echo "FAIL: hung run exited $rc, expected 3"; exit 1; }
[ "$took" -le 40 ] || { echo "FAIL: took $took s to notice a 6 s timeout"; exit 1; }
grep -qE "rank 2 on host $(hostname)[^:]*has not answered for [0-9]+ s: batch [0-9]+ of cell [a-z0-9_.-]+ \([0-9]+ samples\) is hung" \
  "$work/hung2.log" || { echo "FAIL: the message does not name rank, host and batch"; exit 1; }
grep -q '"event":"batch_hung"' "$out/events.jsonl"
no_ranks_left "$out"
check readable "$out"

rc=0
"${MPIRUN[@]}" -np 2 "$ICSWEEP" run "$work/sweep.yaml" --output "$out" >"$work/resume.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: resume exited $rc"; tail -30 "$work/resume.log"; exit 1; }
grep -qE "^journal: [0-9]+ finished batches" "$work/resume.log"
check same "$work/base/results.h5" "$out/results.h5"

# --restart-cell: one cell recomputed from scratch, the others kept.
rc=0
"$ICSWEEP" run "$work/sweep.yaml" --output "$out" --restart-cell tiny-llama-m/project_nope >"$work/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: unknown --restart-cell exited $rc"; cat "$work/bad.log"; exit 1; }
grep -q "no such cell.*tiny-llama-m/project_code" "$work/bad.log"
before=$(stat -c %Y "$out/cells/tiny-llama-s__project_code.h5")
sleep 1
"$ICSWEEP" run "$work/sweep.yaml" --output "$out" --restart-cell tiny-llama-m/project_code >"$work/restart.log" 2>&1
grep -q "cell tiny-llama-m__project_code: restarting (--restart-cell): removed its file" "$work/restart.log"
grep -q "cell tiny-llama-m__project_code done" "$work/restart.log"
[ "$(grep -c "(resumed)" "$work/restart.log")" -eq 3 ] || { echo "FAIL: expected 3 resumed cells"; exit 1; }
[ "$(stat -c %Y "$out/cells/tiny-llama-s__project_code.h5")" -eq "$before" ] || { echo "FAIL: another cell was rewritten"; exit 1; }
check same "$work/base/results.h5" "$out/results.h5"
echo "PASS"
