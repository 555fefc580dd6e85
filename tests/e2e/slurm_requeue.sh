#!/usr/bin/env bash
# `icsweep slurm` prints a script that runs under a fake sbatch/srun/scontrol (tests/e2e/fake-slurm,
# srun becomes mpirun). The test sends SIGUSR1 to the batch shell, as --signal=B:USR1@N does: the
# trap creates the stop file, the sweep exits 75, the script requeues itself (the fake scontrol shows
# no job, so the script cannot tell why the job ends and requeues it), the fake sbatch
# starts it again and the second start resumes and completes with the uninterrupted run's results.
# Also: a world that does not match SLURM_NTASKS is refused with exit code 2. The real cluster:
# slurm_cluster.sh.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
work=$(fresh_demo slurm_requeue)
slow_sweep "$work"
"$ICSWEEP" run "$work/sweep.yaml" --output "$work/base" >"$work/base.log" 2>&1

# Startup check: SLURM_NTASKS must be the MPI world size.
rc=0
SLURM_NTASKS=5 "${MPIRUN[@]}" -np 2 "$ICSWEEP" run "$work/sweep.yaml" --output "$work/mismatch" >"$work/mismatch.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: SLURM_NTASKS mismatch exited $rc"; cat "$work/mismatch.log"; exit 1; }
grep -q "SLURM_NTASKS=5 but the MPI world has 2 rank(s)" "$work/mismatch.log"

"$ICSWEEP" slurm "$work/sweep.yaml" --nodes 1 --gpus-per-node 2 --time 1:00:00 --partition test \
  --output "$work/run" --logs "$work/logs" > "$work/job.sbatch"
cat "$work/job.sbatch"
grep -q "^#SBATCH --signal=B:USR1@600" "$work/job.sbatch"
grep -q "^#SBATCH --ntasks=3" "$work/job.sbatch"
grep -q "^#SBATCH --partition=test" "$work/job.sbatch"
grep -q "srun --mpi=pmix" "$work/job.sbatch"
bash -n "$work/job.sbatch"
"$ICSWEEP" slurm "$work/sweep.yaml" --nodes 3 --gpus-per-node 4 --launcher mpirun --logs "$work/logs" > "$work/big.sbatch"
grep -q "^#SBATCH --ntasks=13" "$work/big.sbatch"

export FAKE_SLURM_DIR=$work/fake && mkdir -p "$FAKE_SLURM_DIR"
export PATH="$ICSWEEP_SOURCE_DIR/tests/e2e/fake-slurm:$PATH" ICSWEEP="$ICSWEEP"
cd "$work"
sbatch job.sbatch &
sbatch_pid=$!
SWEEP_PID=$sbatch_pid
wait_journal "$work/run/journal.bin" 8192
batch=$(cat "$FAKE_SLURM_DIR/batch.pid")
echo "SIGUSR1 to the batch shell $batch"
kill -USR1 "$batch"
rc=0
wait "$sbatch_pid" || rc=$?
log=$work/logs/icsweep-sweep-4242.out
cat "$log" | grep -v '^\[ '
[ "$rc" -eq 0 ] || { echo "FAIL: the job ended with $rc"; exit 1; }
[ "$(cat "$FAKE_SLURM_DIR/requeued")" = 4242 ] || { echo "FAIL: not requeued exactly once"; exit 1; }
[ "$(wc -l < "$FAKE_SLURM_DIR/starts")" -eq 2 ] || { echo "FAIL: expected 2 starts"; exit 1; }
grep -q "icsweep exited with 75" "$log"
grep -qE "^journal: [0-9]+ finished batches" "$log"
check same "$work/base/results.h5" "$work/run/results.h5"
echo "PASS"
