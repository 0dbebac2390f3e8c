#!/usr/bin/env bash
# A real single-node Slurm cluster for tests, all of its state in one folder.
#
#   scripts/slurm-test-cluster.sh start DIR   installs slurm-wlm and munge if missing, writes DIR/slurm.conf and
#                                             starts munged, slurmctld and slurmd (pid files in DIR); prints the
#                                             SLURM_CONF to use once the node is idle
#   scripts/slurm-test-cluster.sh stop DIR    stops the daemons started in DIR by their pids
#
# Needs root. Everything talks over 127.0.0.1 (the host name need not resolve); ports 26817/26818 (override
# with AA_SLURM_PORT_BASE) avoid clashing with a cluster on the machine.
set -euo pipefail

cmd=${1:?usage: slurm-test-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-test-cluster.sh start|stop DIR}

stop_pidfile() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

if [ "$cmd" = stop ]; then
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munged.pid"
  exit 0
fi
[ "$cmd" = start ] || { echo "slurm-test-cluster.sh: unknown command $cmd" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "slurm-test-cluster.sh: needs root" >&2; exit 1; }

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slurm-test-cluster: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A cluster that is not running starts with no jobs of an earlier one (a test process that crashed).
if ! running "$dir/slurmctld.pid"; then rm -rf "$dir/ctld" "$dir/spool"; fi
mkdir -p "$dir"/{ctld,spool,munge}
dir=$(cd "$dir" && pwd)
base=${AA_SLURM_PORT_BASE:-26817}
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 4 ))

# munged with its own key, socket and pid file, so a munged already on the machine is left alone.
if [ ! -s "$dir/munge/munge.key" ]; then
  dd if=/dev/urandom bs=1 count=1024 of="$dir/munge/munge.key" status=none
fi
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
if ! running "$dir/munged.pid"; then
  /usr/sbin/munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" </dev/null >/dev/null 2>&1
fi

cat >"$dir/slurm.conf" <<EOF
ClusterName=aatest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdTimeout=10
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF=$dir/slurm.conf
# The daemons get no stdio of ours, so a caller reading this script's output sees it end.
running "$dir/slurmctld.pid" || /usr/sbin/slurmctld -f "$SLURM_CONF" </dev/null >/dev/null 2>&1
running "$dir/slurmd.pid" || /usr/sbin/slurmd -f "$SLURM_CONF" </dev/null >/dev/null 2>&1

for _ in $(seq 1 300); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null || true)
  case "$state" in idle*|mixed*|allocated*) echo "$SLURM_CONF"; exit 0 ;; esac
  sleep 0.1
done
echo "slurm-test-cluster: the node did not become idle (state: ${state:-none}); see $dir/*.log" >&2
exit 1
