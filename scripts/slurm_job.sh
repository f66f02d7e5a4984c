#!/usr/bin/env bash
# A SLURM batch job that runs an optimization to its end, however many job runs that takes.
#
#   sbatch scripts/slurm_job.sh [OPTIMIZATION.py [WORKING_DIR]]
#
# Each run of the job starts the optimization (no checkpoint yet) or resumes it from the newest
# good checkpoint in WORKING_DIR/checkpoints, through `glompo-scope-chkpt run`. 300 s before the time
# limit SLURM sends SIGUSR1 to this script (--signal=B:USR1@300); the script forwards it to the
# driver, the manager writes a checkpoint (log flushed, movie segment closed) and stops, and the
# driver exits with 75. Only THEN does the script call `scontrol requeue`: requeueing cancels the
# running script at once, so the checkpoint must already be on disk. The requeued job starts
# again (SLURM_RESTART_COUNT=1, 2, ...), resumes, and so on until the driver exits with 0.
# At the end, WORKING_DIR holds glompo_result.json, glompo_log.h5 and one glomporecording.mp4
# stitched from the segments of every run.
#
# Arguments:
#   OPTIMIZATION.py  defines new_manager(working_dir, checkpointing_dir) (see
#                    `glompo-scope-chkpt run --help`); without it, a built-in example runs
#   WORKING_DIR      outputs and checkpoints (default: glompo_run in the submit directory)
#
# Environment (sbatch passes the submitting shell's environment to the job):
#   GLOMPO_PYTHON         interpreter with glompo_scope_chkpt installed (default: python3)
#   GLOMPO_MAX_REQUEUES   stop requeueing after this many restarts (default 100)
#
# The time limit and the warning are ordinary #SBATCH lines: sbatch options given on the command
# line take precedence, e.g. a one-minute job warned 30 s before its end:
#   sbatch --time=1 --signal=B:USR1@30 scripts/slurm_job.sh my_opt.py run1
# Pick the warning time longer than one evaluation plus one checkpoint (with the movie: closing
# a segment); SLURM may send the signal up to a minute earlier than asked.
#
#SBATCH --job-name=glompo
#SBATCH --time=04:00:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=glompo-%j.out
#SBATCH --ntasks=1
set -euo pipefail

# ------------------------------------------------------------------------- signal forwarding
# Traps first: bash's default for SIGUSR1 would end the job. bash runs a trap only between
# commands, so the driver runs in the background and the script waits for it: `wait` returns as
# soon as a trapped signal arrives, and the trap forwards the signal to the driver.
say() { echo "[$(date '+%F %T')] slurm_job: $*"; }
driver_pid=""
signal_seen=""
forward() {
    signal_seen="$1"
    say "received SIG$1: asking the optimization to checkpoint and stop"
    if [[ -n "$driver_pid" ]]; then
        kill -s "$1" "$driver_pid" 2>/dev/null || true
    fi
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM

SPEC="${1:-}"
WORKING_DIR="${2:-glompo_run}"
PYTHON="${GLOMPO_PYTHON:-python3}"
MAX_REQUEUES="${GLOMPO_MAX_REQUEUES:-100}"
RESTARTS="${SLURM_RESTART_COUNT:-0}"
EXIT_REQUEUE=75  # glompo-scope-chkpt run: interrupted after a checkpoint, run again to resume

say "job ${SLURM_JOB_ID:-?} on $(hostname -s), SLURM_RESTART_COUNT=$RESTARTS"

args=(run --working-dir "$WORKING_DIR")
if [[ -n "$SPEC" ]]; then
    args+=("$SPEC")
fi
"$PYTHON" -m glompo_scope_chkpt.cli "${args[@]}" &
driver_pid=$!
if [[ -n "$signal_seen" ]]; then  # arrived before driver_pid was known
    kill -s "$signal_seen" "$driver_pid" 2>/dev/null || true
fi

# A trap makes `wait` return 128+signal while the driver still runs: wait again until it exits,
# then once more for its real exit status (bash keeps it after the process is reaped).
set +e
wait "$driver_pid"
while kill -0 "$driver_pid" 2>/dev/null; do
    wait "$driver_pid"
done
wait "$driver_pid"
rc=$?
set -e
say "driver exited with $rc"

# ---------------------------------------------------------------------------------- requeue
if [[ "$rc" -ne "$EXIT_REQUEUE" ]]; then
    exit "$rc"  # 0: the optimization has ended; anything else: an error, do not retry
fi
if [[ "$signal_seen" == TERM ]]; then
    # Cancelled (scancel) or past the time limit: the checkpoint is written, but SLURM is ending
    # the job. Resubmit the same command to continue.
    say "terminated by SLURM; checkpoint written; resubmit this job to continue"
    exit "$rc"
fi
if [[ -z "${SLURM_JOB_ID:-}" ]]; then
    say "not running under SLURM: run this script again to resume"
    exit "$rc"
fi
if (( RESTARTS >= MAX_REQUEUES )); then
    say "already restarted $RESTARTS times (GLOMPO_MAX_REQUEUES=$MAX_REQUEUES): not requeueing"
    exit "$rc"
fi
say "checkpoint written; requeueing job $SLURM_JOB_ID"
# Requeueing ends this script at once: nothing after this line is guaranteed to run.
scontrol requeue "$SLURM_JOB_ID"
