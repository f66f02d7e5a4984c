#!/usr/bin/env bash
# Install and start a local single-node SLURM (Debian 12, slurm-wlm 22.05) for tests and CI.
#
# Usage:
#   bash scripts/slurm_setup.sh            install if needed, start, wait until the node is idle
#   bash scripts/slurm_setup.sh --stop     stop the daemons this script started (by their PIDs)
#
# Idempotent: if the local test cluster (ClusterName=localtest) already answers and its node is
# usable, it is reused and nothing is installed, configured or started; another SLURM cluster
# answering here is never used (exit 2). Otherwise, as root and without systemd:
#   1. apt-get install slurmctld slurmd slurm-client munge (apt-get update first if needed);
#   2. render scripts/slurm.conf.in into /etc/slurm/slurm.conf (host name, CPUs, memory, run dir);
#      an existing slurm.conf that this script did not write is never replaced;
#   3. start munged, slurmctld and slurmd (they daemonize and write PID files in the run dir)
#      and wait until `sinfo` reports the node idle.
#
# The last line printed is machine-readable:
#   SLURM_SETUP=reused  RUN=<dir>     daemons were already running; --stop will not touch them
#   SLURM_SETUP=started RUN=<dir>     this script started daemons (listed in <dir>/started.pids)
#
# Environment:
#   GLOMPO_SLURM_RUN   state, spool, logs and PID files (default /tmp/glompo-slurm)
#
# Exit codes: 0 ready (or stopped), 1 setup failed (the daemons' logs are in the run dir),
# 2 cannot set up here (not root, no apt-get, a foreign slurm.conf or another cluster answers).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE="$HERE/slurm.conf.in"
RUN="${GLOMPO_SLURM_RUN:-/tmp/glompo-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# Written by glompo_scope_chkpt scripts/slurm_setup.sh"
STARTED="$RUN/started.pids"

log() { echo "slurm_setup: $*" >&2; }

# Whether process $2 is alive and is the daemon $1 (a recycled PID is not).
is_daemon() { [[ "$(cat "/proc/$2/comm" 2>/dev/null)" == "$1" ]]; }
# Whether the daemon $1 whose PID file is $2 runs.
daemon_alive() { [[ -f "$2" ]] && is_daemon "$1" "$(cat "$2")"; }

# ------------------------------------------------------------------------------------- stop
# Stop only what this script started: the PIDs recorded in $STARTED, newest daemon first.
stop_started() {
    if [[ ! -f "$STARTED" ]]; then
        log "nothing to stop ($STARTED absent: the daemons were not started by this script)"
        return 0
    fi
    local name pid
    while read -r name pid; do
        if is_daemon "$name" "$pid"; then
            log "stopping $name (pid $pid)"
            kill "$pid" || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    done < <(tac "$STARTED")
    rm -f "$STARTED"
}

if [[ "${1:-}" == "--stop" ]]; then
    stop_started
    exit 0
fi

# ---------------------------------------------------------------------------------- reuse
# A controller that answers and a node that can take jobs: use them as they are.
node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n 1 | tr -d '*~#'; }

if command -v sinfo >/dev/null && scontrol ping 2>/dev/null | grep -q 'is UP'; then
    # Only the local test cluster: a real cluster's jobs would run on nodes that do not share
    # this machine's /tmp (and nobody wants test jobs there).
    cluster="$(scontrol show config | sed -n 's/^ClusterName *= *//p')"
    if [[ "$cluster" != localtest ]]; then
        log "a SLURM cluster other than the local test cluster answers here (ClusterName=$cluster)"
        exit 2
    fi
    state="$(node_state)"
    case "$state" in
        idle | mixed | allocated | completing)
            log "SLURM already running (node $state): reusing it"
            echo "SLURM_SETUP=reused RUN=$RUN"
            exit 0
            ;;
    esac
fi

# ---------------------------------------------------------------------------------- install
if [[ "$(id -u)" -ne 0 ]]; then
    log "installing and starting SLURM needs root (this is uid $(id -u))"
    exit 2
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    if ! command -v apt-get >/dev/null; then
        log "slurmctld/slurmd/sbatch/munged are missing and there is no apt-get to install them"
        exit 2
    fi
    packages=(slurmctld slurmd slurm-client munge)
    export DEBIAN_FRONTEND=noninteractive
    log "installing ${packages[*]}"
    if ! apt-get install -y --no-install-recommends "${packages[@]}" >"/tmp/slurm_setup.apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update and trying again"
        apt-get update >>"/tmp/slurm_setup.apt.log" 2>&1
        apt-get install -y --no-install-recommends "${packages[@]}" >>"/tmp/slurm_setup.apt.log" 2>&1 \
            || { log "apt-get install failed, see /tmp/slurm_setup.apt.log"; exit 1; }
    fi
fi

# ---------------------------------------------------------------------------------- config
mkdir -p "$RUN/state" "$RUN/spool"
host="$(hostname -s)"
# slurmd -C prints this machine's "NodeName=... CPUs=N ... RealMemory=M" line.
hw="$(slurmd -C | head -n 1)"
cpus="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")"
mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"
# Declaring more memory than the node has takes it DOWN; 80 % stays well below the limit.
mem=$((mem * 80 / 100))
if [[ -f "$CONF" ]] && ! grep -qF "$MARK" "$CONF"; then
    log "$CONF exists and was not written by this script: not replacing it"
    exit 2
fi
mkdir -p "$(dirname "$CONF")"
{
    echo "$MARK"
    sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" -e "s|@RUN@|$RUN|g" \
        "$TEMPLATE"
} >"$CONF.tmp"
mv "$CONF.tmp" "$CONF"
log "wrote $CONF (host $host, $cpus CPUs, ${mem} MB, run dir $RUN)"

# ---------------------------------------------------------------------------------- start
# Record every daemon this script starts, so --stop (and a test's clean-up) ends only those.
record_started() { echo "$1 $2" >>"$STARTED"; }
if [[ -f "$STARTED" ]]; then  # forget daemons of an earlier setup that are no longer running
    while read -r name pid; do
        if is_daemon "$name" "$pid"; then echo "$name $pid"; fi
    done <"$STARTED" >"$STARTED.tmp" || true
    mv "$STARTED.tmp" "$STARTED"
fi

munge_pid=/run/munge/munged.pid
if ! daemon_alive munged "$munge_pid"; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged
    for _ in $(seq 50); do daemon_alive munged "$munge_pid" && break; sleep 0.1; done
    record_started munged "$(cat "$munge_pid")"
    log "started munged"
fi
munge -n | unmunge >/dev/null || { log "munge does not work"; exit 1; }

start_daemon() {  # name pidfile
    local name="$1" pidfile="$2"
    if daemon_alive "$name" "$pidfile"; then
        log "$name already running (pid $(cat "$pidfile"))"
        return 0
    fi
    "$name"
    for _ in $(seq 100); do daemon_alive "$name" "$pidfile" && break; sleep 0.1; done
    daemon_alive "$name" "$pidfile" || { log "$name did not start; see $RUN/$name.log"; exit 1; }
    record_started "$name" "$(cat "$pidfile")"
    log "started $name (pid $(cat "$pidfile"))"
}
start_daemon slurmctld "$RUN/slurmctld.pid"
start_daemon slurmd "$RUN/slurmd.pid"

# ----------------------------------------------------------------------------------- ready
# The node registers within a few seconds; a node left DOWN by an earlier run is resumed.
for _ in $(seq 60); do
    state="$(node_state || true)"
    case "$state" in
        idle | mixed | allocated) break ;;
        down | drained | draining | fail) scontrol update NodeName="$host" State=RESUME || true ;;
    esac
    sleep 0.5
done
if [[ "$state" != idle && "$state" != mixed && "$state" != allocated ]]; then
    log "node is '$state' after 30 s; see $RUN/slurmctld.log and $RUN/slurmd.log"
    exit 1
fi
log "node $host is $state"
echo "SLURM_SETUP=started RUN=$RUN"
