#!/usr/bin/env bash
# Stop what scripts/slurm-up.sh started (the daemons whose pid files it wrote).
set -uo pipefail

STATE="${SATCONF_SLURM_STATE:-/tmp/satconf-slurm}"

stop() {
    local pidfile="$STATE/$1.pid" pid
    [ -s "$pidfile" ] || return 0
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
    echo "slurm-down: stopped $1 ($pid)" >&2
}

# Jobs on the cluster this script started are this test cluster's own: cancel them
# first, so no training process outlives slurmd.
if [ -s "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')"
    if [ -n "${jobs// /}" ]; then
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null
        for _ in $(seq 100); do
            [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
fi

stop slurmd
stop slurmctld
stop munged
exit 0
