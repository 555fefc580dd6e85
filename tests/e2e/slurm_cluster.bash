# A real one-node Slurm cluster for the tests (sourced; not a test itself: ctest runs *.sh only).
# Debian's slurm-wlm and munge (scripts/install-deps.sh); munged, slurmctld and slurmd run in the
# foreground under this shell with a config written into the scratch dir, and stop_slurm (an EXIT
# trap) ends them by PID. Jobs run as the invoking user (root in CI).

# start_slurm DIR: writes DIR/slurm.conf, starts the daemons, waits until the node is idle; exports
# SLURM_CONF (sbatch, srun, scontrol and the jobs read it) and sets SLURM_PIDS.
SLURM_PIDS=()
start_slurm() {
  local d=$1 host user port i
  for i in munged slurmctld slurmd sbatch; do
    command -v "$i" >/dev/null || { echo "FAIL: $i not found: run scripts/install-deps.sh (slurm-wlm, munge)" >&2; return 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: the Slurm test needs root (slurmd starts jobs as their user)" >&2; return 1; }
  host=$(hostname -s)
  user=$(id -un)
  mkdir -p "$d/munge" "$d/state" "$d/spool"
  chmod 700 "$d/munge"
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  # --force: the scratch dir's parents may be group-writable, which munged otherwise refuses.
  munged --foreground --force --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" --seed-file="$d/munge/seed" \
    >>"$d/munge/munged.log" 2>&1 &
  SLURM_PIDS+=($!)
  # Free ports: two consecutive ones above 20000 that nothing listens on.
  for port in $(seq 20817 2 20917); do
    if ! ss -ltn 2>/dev/null | grep -qE ":($port|$((port + 1)))\b"; then break; fi
  done
  # AuthInfo cred_expire: a requeued job waits cred_expire + 1 s before it may start again (120 s by
  # default). KillWait: seconds between Slurm's TERM and KILL when it ends a job (the default).
  cat > "$d/slurm.conf" <<CONF
ClusterName=icsweep-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket,cred_expire=10
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
KillWait=30
MinJobAge=600
JobRequeue=1
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=48 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$d/slurm.conf
  slurmctld -D -i -f "$SLURM_CONF" >>"$d/slurmctld.out" 2>&1 &
  SLURM_PIDS+=($!)
  slurmd -D -f "$SLURM_CONF" >>"$d/slurmd.out" 2>&1 &
  SLURM_PIDS+=($!)
  for i in $(seq 300); do
    if [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; then return 0; fi
    sleep 0.2
  done
  echo "the Slurm node did not become idle in 60 s:" >&2
  sinfo >&2 || true
  tail -20 "$d/slurmctld.log" "$d/slurmd.log" >&2 || true
  return 1
}

# stop_slurm: cancels the jobs left and waits for them (slurmstepd outlives slurmd), then TERM to the
# daemons this shell started (slurmd, slurmctld, munged), then KILL.
stop_slurm() {
  local i pid
  if [ ${#SLURM_PIDS[@]} -gt 0 ] && scancel --partition=test 2>/dev/null; then
    for i in $(seq 300); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SLURM_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  SLURM_PIDS=()
}

# job_field JOB KEY: KEY's value in `scontrol show job JOB` (e.g. JobState, Restarts, ExitCode).
job_field() {
  scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# wait_job_state JOB SECONDS STATE...: until JobState is one of STATEs; fails after SECONDS.
wait_job_state() {
  local job=$1 seconds=$2 i state
  shift 2
  for i in $(seq $((seconds * 5))); do
    state=$(job_field "$job" JobState)
    for s in "$@"; do [ "$state" = "$s" ] && return 0; done
    sleep 0.2
  done
  echo "job $job is $state after $seconds s, not $*" >&2
  return 1
}
