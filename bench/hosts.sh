#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/hosts.sh: the mpi engine's --hosts path across more than one host,
# where the hosts are Linux network namespaces on this machine.
#
# Two "compute nodes", gnxh1 (10.77.0.2) and gnxh2 (10.77.0.3), each a
# network namespace with its own network stack (lo, a veth on a bridge),
# its own host name (a UTS namespace) and its own sshd. This namespace is the
# "login node" (10.77.0.1 on the bridge): gnxbench and mpirun run here,
# mpirun starts its daemons on the nodes over ssh (Open MPI's rsh launcher)
# and the ranks talk to each other and to the harness over TCP between
# distinct network stacks. The nodes share this machine's file system (as a
# cluster shares NFS), its clock and its 2 CPUs: the checks below are real,
# the times are one machine's, not a cluster's.
#
# It checks, on ETL and GNN: the mpi cells verify and equal serial's; the
# ranks ran on both nodes (each rank's host in report.json); every rank's
# spans lie inside the run's wall on the harness's clock, with each rank's
# clock skewed as another host's would be; a rank killed mid-run gives the
# one-line error and leaves no rank, daemon or ssh session behind; and it
# prints the times beside procpool's on the same sizes.
#
# usage: bench/hosts.sh [--quick] [--gnx PATH] [--sizes LIST] [--out DIR]
#   --quick   ETL at 5k only, and the killed rank (the CTest test's mode)
#   --gnx     the gnxbench binary (default: build/dev/gnxbench)
#   --sizes   sizes of the full mode (default 5k,25k)
#   --out     keep the reports there (default: a temporary directory, removed)
# Needs root, `ip netns`, Open MPI and openssh-server (sshd); exits 77 with
# what to install where one is missing. Everything it makes (namespaces,
# veths, bridge, sshd processes, keys) is removed when it ends, on failure
# and on Ctrl-C too; a watcher removes it if this script is SIGKILLed.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$SRC/bench/hosts.sh"
NS=(gnxh1 gnxh2)
IPS=(10.77.0.2 10.77.0.3)
VETH=(gnxv1 gnxv2)
BR=gnxbr0
BRIP=10.77.0.1
NET=10.77.0.0/24
LOCK=/run/gnx-hosts.lock

say() { echo "hosts.sh: $*"; }
die() { echo "hosts.sh: FAIL: $*" >&2; exit 1; }
skip() { echo "hosts.sh: SKIP: $*"; exit 77; }

# teardown TMP: everything this script makes, whatever state it is in.
teardown() {
  local tmp=$1 ns pids i
  for ns in "${NS[@]}"; do
    [ -e "/run/netns/$ns" ] || continue
    # every process in the node: sshd, its sessions, orted, the ranks
    # (listed again each round: a session sshd was forking when the
    # listener got its signal appears after the first list)
    for i in $(seq 50); do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -n "$pids" ] || break
      kill "-$([ "$i" -le 10 ] && echo TERM || echo KILL)" $pids 2>/dev/null || true
      sleep 0.1
    done
    ip netns del "$ns" 2>/dev/null || true
  done
  for i in "${VETH[@]}" "$BR"; do
    ip link del "$i" 2>/dev/null || true
  done
  rm -rf /tmp/ompi.gnxh1.* /tmp/ompi.gnxh2.* # Open MPI's session files of the nodes
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    [ ! -e "$tmp/made-run-sshd" ] || rmdir /run/sshd 2>/dev/null || true
    rm -rf "$tmp"
  fi
}

# --reap PID TMP: the watcher. It holds the lock (fd 9, inherited) and tears
# down once PID is gone, however it ended.
if [ "${1:-}" = --reap ]; then
  echo $$ >"$3/watch.pid"
  while kill -0 "$2" 2>/dev/null; do sleep 1; done
  teardown "$3"
  exit 0
fi

QUICK=0 GNX="$SRC/build/dev/gnxbench" SIZES=5k,25k KEEP=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --gnx) GNX=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --out) KEEP=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "hosts.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- what it needs ------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, sshd as root)"
command -v ip >/dev/null || skip "no ip command (apt-get install iproute2)"
[ -x /usr/sbin/sshd ] || skip "no /usr/sbin/sshd (apt-get install openssh-server)"
for c in ssh ssh-keygen unshare flock setsid python3; do
  command -v $c >/dev/null || skip "no $c (apt-get install openssh-client util-linux python3)"
done
command -v mpirun >/dev/null || skip "no mpirun (apt-get install openmpi-bin libopenmpi-dev)"
GNX=$(readlink -f "$GNX")
[ -x "$GNX" ] || skip "no gnxbench at $GNX (build it: cmake --preset dev && cmake --build --preset dev)"
LIST=$("$GNX" list 2>&1 || true)
grep -qE "^  mpi " <<<"$LIST" || skip "$GNX has no mpi engine"
if grep -A1 -E "^  mpi " <<<"$LIST" | grep -q "NOT AVAILABLE"; then
  skip "the mpi engine is not available in $GNX"
fi

# One run at a time (fixed names and addresses); a run that was SIGKILLed
# before its watcher finished is swept here.
exec 9>"$LOCK"
flock -w 600 9 || die "another bench/hosts.sh holds $LOCK"
for d in /tmp/gnx-hosts.*; do
  [ -d "$d" ] || continue
  p=${d#/tmp/gnx-hosts.}; p=${p%%.*}
  kill -0 "$p" 2>/dev/null || teardown "$d"
done
teardown ""

TMP=$(mktemp -d "/tmp/gnx-hosts.$$.XXXXXX")
WATCH=""
finish() {
  local rc=$?
  trap - EXIT INT TERM HUP
  [ -z "$WATCH" ] || kill "$WATCH" 2>/dev/null || true
  teardown "$TMP"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# the watcher, out of this process tree (a test runner that kills the tree
# on a timeout kills this script without a trap)
( setsid bash "$SELF" --reap $$ "$TMP" </dev/null >/dev/null 2>&1 & )
for i in $(seq 50); do [ -s "$TMP/watch.pid" ] && break; sleep 0.05; done
WATCH=$(cat "$TMP/watch.pid" 2>/dev/null || true)
exec 9>&- # the watcher holds the lock now

ip netns add probe-gnx-$$ 2>/dev/null && ip netns del probe-gnx-$$ ||
  skip "ip netns add fails here (no network namespaces in this container?)"

# ---- the network ----------------------------------------------------------------
# only where 10.77.0.0/24 is no real network of this machine's
! ip -o addr show | grep -q " inet 10\.77\.0\." ||
  skip "10.77.0.0/24 is already an address here: $(ip -o addr show | grep ' inet 10\.77\.0\.')"
ip link add "$BR" type bridge
ip addr add "$BRIP/24" dev "$BR"
ip link set "$BR" up
for i in 0 1; do
  ns=${NS[$i]}
  ip netns add "$ns"
  ip link add "${VETH[$i]}" type veth peer name "${VETH[$i]}p"
  ip link set "${VETH[$i]}p" netns "$ns"
  ip link set "${VETH[$i]}" master "$BR" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "${IPS[$i]}/24" dev "${VETH[$i]}p"
  ip -n "$ns" link set "${VETH[$i]}p" up
done

# ---- keys, sshd on every node, ssh from here ------------------------------------
ssh-keygen -q -t ed25519 -N '' -C gnx-hosts-host -f "$TMP/host_key"
ssh-keygen -q -t ed25519 -N '' -C gnx-hosts-client -f "$TMP/client_key"
cp "$TMP/client_key.pub" "$TMP/authorized_keys"
if [ ! -d /run/sshd ]; then mkdir -p /run/sshd && touch "$TMP/made-run-sshd"; fi
cat >"$TMP/ssh_config" <<EOF
Host 10.77.0.*
  User root
  IdentityFile $TMP/client_key
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 5
EOF
printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$TMP/ssh_config" >"$TMP/ssh"
chmod +x "$TMP/ssh"
for i in 0 1; do
  ns=${NS[$i]}
  cat >"$TMP/sshd_$ns" <<EOF
ListenAddress ${IPS[$i]}
HostKey $TMP/host_key
PidFile $TMP/sshd_$ns.pid
AuthorizedKeysFile $TMP/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
Subsystem sftp none
LogLevel ERROR
EOF
  # its own host name: the ranks' records and Open MPI's session
  # directories (/tmp/ompi.HOST.UID, on the shared /tmp) tell the nodes apart
  ip netns exec "$ns" unshare --uts sh -c \
    'echo "$1" >/proc/sys/kernel/hostname && exec /usr/sbin/sshd -D -e -f "$2"' \
    sh "$ns" "$TMP/sshd_$ns" </dev/null >>"$TMP/sshd_$ns.log" 2>&1 &
done
for i in 0 1; do
  for _ in $(seq 50); do
    got=$("$TMP/ssh" "${IPS[$i]}" hostname 2>/dev/null) && break
    sleep 0.1
  done
  [ "${got:-}" = "${NS[$i]}" ] ||
    die "no ssh to ${IPS[$i]} (got '${got:-}'): $(cat "$TMP/sshd_${NS[$i]}.log")"
done
say "nodes up: ${NS[0]} ${IPS[0]}, ${NS[1]} ${IPS[1]} (sshd in each); login node $BRIP"

printf '%s slots=2\n%s slots=2\n' "${IPS[0]}" "${IPS[1]}" >"$TMP/hosts.txt"
# How mpirun reaches the nodes and which network Open MPI uses: every node
# has its own 127.0.0.1, so the daemons' and the ranks' TCP must be told
# to use the bridge's network; rank 0 connects back to the login node.
export OMPI_MCA_plm_rsh_agent="$TMP/ssh"
export OMPI_MCA_oob_tcp_if_include=$NET
export OMPI_MCA_btl_tcp_if_include=$NET
export GNX_MPI_HOST=$BRIP
OUTD=${KEEP:-$TMP/out}
mkdir -p "$OUTD"
OUTD=$(readlink -f "$OUTD")
cd "$TMP"

gnx() { # gnx NAME ARGS...: run gnxbench, its output in $OUTD/NAME.log
  local name=$1; shift
  set +e
  "$GNX" run --out "$OUTD/$name" --replace --counters off "$@" >"$OUTD/$name.log" 2>&1
  RC=$?
  set -e
}

# check REPORT WL...: every mpi cell ok, verified, its summary serial's;
# ranks on both nodes; spans inside the wall; the times.
check() {
  python3 - "$@" <<'EOF'
import json, sys, os
path = sys.argv[1]
r = json.load(open(path))
d = os.path.dirname(path)
cells = {}
for c in r["results"]:
    cells.setdefault((c["workload"], c["size"]), {})[c["engine"]] = c
for (wl, size), by in sorted(cells.items()):
    m, s = by["mpi"], by["serial"]
    assert m["status"] == "ok" and m["verified"], (wl, size, m["status"], m.get("error"))
    assert m["summary"] == s["summary"], (wl, size, "summary differs from serial's")
    ranks = [w["name"] for w in m["reps"][0]["workers"] if w["name"].startswith("mpi.r")]
    hosts = {n.split("@")[1] if "@" in n else "login" for n in ranks}
    assert hosts == {"gnxh1", "gnxh2"}, (wl, size, ranks)
    wall_us = m["stats"]["wall_s"]["median"] * 1e6
    t = json.load(open(f"{d}/trace-{wl}-{size}-mpi.json"))["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in t if e["ph"] == "M" and e["name"] == "thread_name"}
    x = [e for e in t if e["ph"] == "X" and names[e["tid"]].startswith("mpi.r")]
    lo = min(e["ts"] for e in x)
    hi = max(e["ts"] + e["dur"] for e in x)
    # the trace is of one repetition; with --reps 1 its wall is the median
    assert len(m["reps"]) > 1 or (lo > -5000 and hi < wall_us + 5000), (wl, size, lo, hi, wall_us)
    sm = s["summary"]
    ck = sm.get("checksum") or sm.get("out_hash") or "?"
    print(f"  {wl} {size}: verified, summary equal to serial's (checksum {ck}); ranks "
          + ", ".join(ranks)
          + f"; rank spans {lo / 1e3:.1f} .. {hi / 1e3:.1f} ms inside the wall {wall_us / 1e3:.1f} ms")
EOF
}

times() { # times REPORT [ONE-HOST-REPORT]: the median wall (and start-up) per engine, per cell
  python3 - "$@" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cells = {}
for c in r["results"]:
    cells.setdefault((c["workload"], c["size"]), {})[c["engine"]] = c
if len(sys.argv) > 2:
    for c in json.load(open(sys.argv[2]))["results"]:
        if c["engine"] == "mpi":
            cells.setdefault((c["workload"], c["size"]), {})["mpi1"] = c
engines = [e for e in ("serial", "procpool", "mpi", "mpi1") if any(e in b for b in cells.values())]
label = {"mpi": "mpi (2 hosts)", "mpi1": "mpi (1 host)*"}
print("  %-4s %7s " % ("", "size") + " ".join("%24s" % label.get(e, e) for e in engines))
for (wl, size), by in sorted(cells.items()):
    row = []
    for e in engines:
        c = by.get(e)
        if not c or c["status"] != "ok":
            row.append("%24s" % "-")
            continue
        w = c["stats"]["wall_s"]["median"] * 1e3
        su = sorted(x.get("startup_s") or 0 for x in c["reps"] if x.get("ok", True))
        su = su[len(su) // 2] if su else 0
        row.append("%24s" % (f"{w:.1f} ms" + (f" (start {su * 1e3:.0f} ms)" if su > 0.0005 else "")))
    print("  %-4s %7d " % (wl, size) + " ".join(row))
EOF
}

no_leftovers() { # no rank, daemon or ssh session left; only the two sshd listeners
  local ns left=""
  sleep 0.5
  for ns in "${NS[@]}"; do
    for p in $(ip netns pids "$ns"); do
      [ "$p" = "$(cat "$TMP/sshd_$ns.pid" 2>/dev/null)" ] && continue
      left="$left $p:$(cat /proc/$p/comm 2>/dev/null)@$ns"
    done
  done
  left="$left$(pgrep -a -x orted | sed 's/^/ /' || true)$(pgrep -f -a "$GNX rank" | sed 's/^/ /' || true)"
  left="$left$(pgrep -f -a "$TMP/ssh_config" | sed 's/^/ /' || true)" # ssh clients, here
  [ -z "${left// /}" ] || die "left behind after $1:$left"
  say "  nothing left behind ($1): in each node only its sshd listener; no orted, no rank, no ssh"
  local sess
  sess=$(find /tmp/ompi.gnxh1.* /tmp/ompi.gnxh2.* -mindepth 1 -maxdepth 1 2>/dev/null | tr '\n' ' ' || true)
  [ -z "$sess" ] || say "  Open MPI session directories left on the nodes: $sess"
}

# ---- the runs ------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
  WLS=(etl); SIZES=5k
else
  WLS=(etl gnn)
fi
say "hostfile: $(tr '\n' ' ' <"$TMP/hosts.txt")"
for wl in "${WLS[@]}"; do
  # 1. verification and placement, every rank's clock skewed (rank r by
  #    (r + 1) x 3 s) as another host's would be: the offsets must undo it
  #    (GNX_MPI_VERBOSE: mpirun's line, its output and the round trips)
  export GNX_MPI_TEST_SKEW_NS=3000000000 GNX_MPI_VERBOSE=1
  gnx "skew-$wl" --engines serial,mpi --workloads "$wl" --sizes "$SIZES" --reps 1 --warmup 0 \
    --ranks 3 --hosts "$TMP/hosts.txt" --mpi-args "-x GNX_MPI_TEST_SKEW_NS --report-bindings" \
    --mpi-timeout 30 </dev/null
  unset GNX_MPI_TEST_SKEW_NS GNX_MPI_VERBOSE
  [ "$RC" -eq 0 ] || die "$wl across hosts exited $RC: $(tail -n 20 "$OUTD/skew-$wl.log")"
  say "$wl across 2 hosts, rank clocks skewed by 3, 6, 9 s:"
  check "$OUTD/skew-$wl/report.json"
  grep -E "MCW rank [0-9]+ |smallest round trip" "$OUTD/skew-$wl.log" | sort -u | sed 's/^/    /' || true
done

# 2. a rank killed mid-run: one line, the job ended everywhere
gnx fault --engines mpi --workloads etl --sizes 5k --reps 1 --warmup 0 --ranks 3 \
  --hosts "$TMP/hosts.txt" --fault worker=2,item=2,mode=kill </dev/null
[ "$RC" -eq 1 ] || die "the killed rank: exited $RC, expected 1: $(tail -n 20 "$OUTD/fault.log")"
line=$(grep -E "mpi: rank 2 \(pid [1-9][0-9]* on [^)]+\) was killed by signal 9 \(SIGKILL\)" \
  "$OUTD/fault.log") || die "no line naming the killed rank: $(tail -n 20 "$OUTD/fault.log")"
say "rank 2 killed: ${line#"${line%%[! ]*}"}"
no_leftovers "the killed rank"

# 3. the times, interleaved with serial and procpool on the same sizes
if [ "$QUICK" = 0 ]; then
  gnx times --engines serial,procpool,mpi --workloads etl,gnn --sizes "$SIZES" --reps 3 \
    --warmup 1 --time-budget 0 --ranks 3 --workers 2 --hosts "$TMP/hosts.txt" </dev/null
  [ "$RC" -eq 0 ] || die "the timed run exited $RC: $(tail -n 20 "$OUTD/times.log")"
  # for reference, not interleaved: the same ranks on one host (no --hosts)
  gnx one-host --engines serial,mpi --workloads etl,gnn --sizes "$SIZES" --reps 3 --warmup 1 \
    --time-budget 0 --ranks 3 </dev/null
  [ "$RC" -eq 0 ] || die "the one-host run exited $RC: $(tail -n 20 "$OUTD/one-host.log")"
  say "median wall of 3 repetitions (mpi: 3 ranks, rank 0 the relay; procpool: 2 workers;"
  say "start: mpirun to the start barrier, apart from the wall; * a separate run, not interleaved):"
  times "$OUTD/times/report.json" "$OUTD/one-host/report.json"
  no_leftovers "the timed run"
fi
[ -z "$KEEP" ] || say "reports in $OUTD"
say "PASS"
