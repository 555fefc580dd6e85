#!/usr/bin/env bash
# The scripts of `icsweep slurm` on a real one-node Slurm (Debian's slurm-wlm and munge, started here:
# slurm_cluster.bash), with both launchers (srun --mpi=pmix and mpirun), all jobs at once:
#   clean     runs to the end: the results equal a run outside Slurm;
#   cancel    a plain scancel: CANCELLED and not requeued; the sweep stopped cleanly (exit 75, in-flight
#             batches of 3 s journaled: mpirun used to kill the ranks 2 s after Slurm's TERM), and a
#             resumed run outside Slurm equals the clean run;
#   usr1      scancel --signal=USR1 --batch: requeued once by the script, resumed, equal to the clean run;
#   requeue   scontrol requeue (a requeue by Slurm itself): the script does not requeue again, nor claim
#             that it failed; resumed and equal;
#   limit     --time 2 (the warning comes 30 s before the limit): stopped by the warning, requeued,
#             resumed, equal;
#   hardlimit (mpirun only) --time 2 without the warning: Slurm TERMs the job at the limit
#             (Reason=TimeLimit), the script requeues it, it resumes, equal;
#   array     two tasks, one model group each, without --output: they write group-<id> under the
#             sweep's output_dir; merged they equal the clean run.
# Also: srun exiting 0 without the sweep having run fails the job; srun without --mpi=pmix (tasks that
# are each alone in their MPI world) is refused with exit 2; the log folder is made by icsweep slurm and
# the jobs are submitted from another folder.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/resilience.bash"
source "$(dirname "$0")/slurm_cluster.bash"
work=$(fresh_demo slurm_cluster)
slow_sweep "$work"
cd "$work"
"$ICSWEEP" run sweep.yaml --output base >base.log 2>&1

trap stop_slurm EXIT
start_slurm "$work/slurm"
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p submit

# script NAME LAUNCHER [icsweep slurm options]: NAME.sbatch, job name NAME, logs in logs/.
script() {
  local name=$1 launcher=$2
  shift 2
  "$ICSWEEP" slurm "$@" --gpus-per-node 0 --cpus-per-task 1 --launcher "$launcher" --logs logs \
    --job-name "$name" > "$name.sbatch"
}
# submit NAME [VAR=VALUE...]: sbatch from submit/ with those variables set; prints the job id.
submit() {
  local name=$1
  shift
  (cd submit && env "$@" sbatch --parsable "$work/$name.sbatch")
}
# wait_size FILE BYTES: until FILE is larger than BYTES (batches were journaled), at most 120 s.
wait_size() {
  local i
  for i in $(seq 600); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ] && return 0
    sleep 0.2
  done
  echo "FAIL: $1 did not grow past $2 bytes" >&2
  return 1
}
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect JOB SECONDS STATE RESTARTS: waits until the job has ended, then checks its state and its
# restarts (a number, or N+ for at least N).
expect() {
  wait_job_state "$1" "$2" COMPLETED FAILED CANCELLED TIMEOUT || true
  local state restarts
  state=$(job_field "$1" JobState) restarts=$(job_field "$1" Restarts)
  if [ "$state" != "$3" ] || { [ "${4%+}" = "$4" ] && [ "$restarts" -ne "$4" ]; } || [ "$restarts" -lt "${4%+}" ]; then
    fail "job $1 is $state after $restarts restart(s), expected $3 after $4"
  fi
}
logf() { echo "$work/logs/$1-${job[$1]}.out"; }
sweep_end_codes() { grep '"event":"sweep_end"' "$1/events.jsonl" | sed 's/.*"exit_code":\([0-9]*\).*/\1/' | tr '\n' ' '; }

# Batch delays (ICSWEEP_TEST_BATCH_DELAY_MS; the sweep has about 110 batches on one worker): the stops
# come while the jobs run; the limit jobs run about 130 s, so the warning (about 90 s after the start)
# stops them once and the second start finishes before its own warning.
declare -A job delay=([clean]=200 [cancel]=3000 [usr1]=1000 [requeue]=1000 [limit]=1100)
for l in srun mpirun; do
  for name in clean cancel usr1 requeue limit; do
    script $name-$l $l sweep.yaml --output $name-$l $([ $name = limit ] && echo --time 2)
  done
  # An array over two model groups; each task's sweep file names the output_dir (no --output).
  mkdir -p array-$l
  for g in 0 1; do
    drop=$([ $g = 0 ] && echo tiny-llama-m || echo tiny-llama-s)
    sed -e "/name: $drop/d" -e "s#path: demo/#path: $work/demo/#" -e 's/output_dir: results/output_dir: out/' \
      sweep.yaml > array-$l/group-$g.yaml
  done
  "$ICSWEEP" slurm array-$l/group-%a.yaml --array 0-1 --gpus-per-node 0 --cpus-per-task 1 --launcher $l \
    --logs logs > array-$l.sbatch
  grep -q "^#SBATCH --job-name=icsweep-group$" array-$l.sbatch

  for name in clean cancel usr1 requeue limit; do
    job[$name-$l]=$(submit $name-$l ICSWEEP_TEST_BATCH_DELAY_MS=${delay[$name]})
  done
  job[array-$l]=$(submit array-$l)
done
[ -d logs ] || fail "icsweep slurm did not make the log folder"
# The hard limit, as when the warning comes too late for the batches in flight: about 175 s of batches.
script hardlimit-mpirun mpirun sweep.yaml --output hardlimit-mpirun --time 2
sed -i '/^#SBATCH --signal=/d' hardlimit-mpirun.sbatch
job[hardlimit-mpirun]=$(submit hardlimit-mpirun ICSWEEP_TEST_BATCH_DELAY_MS=1600)
# srun exits 0, yet the sweep never ran (as with a stale PMIx socket): the job must fail.
script notrun srun sweep.yaml --output notrun
job[notrun]=$(submit notrun ICSWEEP=/bin/true)

# srun without --mpi=pmix: two tasks, each alone in its MPI world, are refused (once, by task 0).
rc=0
srun -n 2 --mpi=none "$ICSWEEP" run sweep.yaml --output nopmix >nopmix.log 2>&1 || rc=$?
cat nopmix.log
[ "$rc" -eq 2 ] || fail "srun --mpi=none exited $rc, expected 2"
[ "$(grep -c "tasks of a Slurm step (SLURM_STEP_NUM_TASKS=2), but the MPI world has 1 rank" nopmix.log)" -eq 1 ]
[ ! -e nopmix/events.jsonl ] || fail "a 1-rank world of a 2-task step ran the sweep"

# The stops, once batches are journaled.
for l in srun mpirun; do
  wait_size cancel-$l/journal.bin 4096
  scancel "${job[cancel-$l]}"
  wait_size usr1-$l/journal.bin 8192
  scancel --signal=USR1 --batch "${job[usr1-$l]}"
  wait_size requeue-$l/journal.bin 8192
  scontrol requeue "${job[requeue-$l]}"
done

for l in srun mpirun; do
  echo "== $l"
  expect "${job[clean-$l]}" 120 COMPLETED 0
  check same base/results.h5 clean-$l/results.h5

  expect "${job[cancel-$l]}" 120 CANCELLED 0
  grep -v '^\[ ' "$(logf cancel-$l)"
  grep -q "icsweep exited with 75" "$(logf cancel-$l)" || fail "cancel-$l: the sweep did not stop cleanly"
  grep -q "was cancelled (JobState=.*): not requeued" "$(logf cancel-$l)"
  [ "$(sweep_end_codes cancel-$l)" = "75 " ] || fail "cancel-$l: sweep_end codes $(sweep_end_codes cancel-$l)"
  "$ICSWEEP" run sweep.yaml --output cancel-$l >cancel-$l.resume.log 2>&1
  grep -E "^journal: [0-9]+ finished batches" cancel-$l.resume.log
  check same base/results.h5 cancel-$l/results.h5

  expect "${job[usr1-$l]}" 120 COMPLETED 1
  grep -q "got SIGUSR1" "$(logf usr1-$l)"
  grep -q "requeueing job ${job[usr1-$l]} (JobState=RUNNING" "$(logf usr1-$l)"
  [ "$(sweep_end_codes usr1-$l)" = "75 0 " ] || fail "usr1-$l: sweep_end codes $(sweep_end_codes usr1-$l)"
  check same base/results.h5 usr1-$l/results.h5

  expect "${job[requeue-$l]}" 120 COMPLETED 1
  grep -q "Slurm requeued job ${job[requeue-$l]} itself (Restarts=1)" "$(logf requeue-$l)"
  ! grep -q "requeue failed" "$(logf requeue-$l)" || fail "requeue-$l: the script claimed its requeue failed"
  [ "$(sweep_end_codes requeue-$l)" = "75 0 " ] || fail "requeue-$l: sweep_end codes $(sweep_end_codes requeue-$l)"
  check same base/results.h5 requeue-$l/results.h5

  expect "${job[limit-$l]}" 360 COMPLETED 1+
  grep -v '^\[ ' "$(logf limit-$l)"
  grep -q "got SIGUSR1" "$(logf limit-$l)"
  grep -q "^#SBATCH --signal=B:USR1@30$" limit-$l.sbatch
  check same base/results.h5 limit-$l/results.h5

  for t in 0 1; do expect "${job[array-$l]}_$t" 120 COMPLETED 0; done
  "$ICSWEEP" merge array-$l/out/group-0/results.h5 array-$l/out/group-1/results.h5 -o array-$l/all.h5
  check same base/results.h5 array-$l/all.h5
done

expect "${job[hardlimit-mpirun]}" 300 COMPLETED 1+
grep -v '^\[ ' "$(logf hardlimit-mpirun)"
grep -q "requeueing job ${job[hardlimit-mpirun]} (JobState=COMPLETING Reason=TimeLimit)" "$(logf hardlimit-mpirun)"
[[ "$(sweep_end_codes hardlimit-mpirun)" =~ ^(75 )+0\ $ ]] || fail "hardlimit: sweep_end codes $(sweep_end_codes hardlimit-mpirun)"
check same base/results.h5 hardlimit-mpirun/results.h5

expect "${job[notrun]}" 60 FAILED 0
cat "logs/notrun-${job[notrun]}.out"
grep -q "srun exited 0 but the sweep wrote no sweep_end event" "logs/notrun-${job[notrun]}.out"
[ "$(job_field "${job[notrun]}" ExitCode)" = "1:0" ]
echo "PASS"
