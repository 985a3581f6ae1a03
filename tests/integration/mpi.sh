# SPDX-License-Identifier: MIT
# The mpi engine through the command line (Open MPI's mpirun on this
# machine, ranks oversubscribed where they outnumber the CPUs): the same
# results as serial with 2, 3 and 4 ranks, a rank that dies, a missing or
# hanging mpirun, and every rank's spans on the harness's timeline. Each
# skips (77) where Open MPI is not installed.
. "$(dirname "$0")/lib.sh"

# same_as_serial REPORT: every mpi cell verified, its summary equal to serial's.
same_as_serial() {
  validate "$1"
  $PY - "$1" <<'EOF' || fail "mpi's summary differs from serial's in $1"
import json, sys
r = json.load(open(sys.argv[1]))
cells = {}
for c in r["results"]:
    cells.setdefault((c["workload"], c["size"]), {})[c["engine"]] = c
for key, by in cells.items():
    m, s = by["mpi"], by["serial"]
    assert m["status"] == "ok" and m["verified"], (key, m["status"], m.get("error"))
    assert m["summary"] == s["summary"], key
EOF
}

quick_mpi_etl_ranks_2_3_4() {
  need_mpirun
  for n in 2 3 4; do
    run_gnx --engines serial,mpi --workloads etl --sizes 20k --work 16 --reps 1 --warmup 0 \
      --ranks $n --out "o$n"
    [ "$RC" -eq 0 ] || fail "--ranks $n exited $RC: $(cat "$ERR") $(cat "$OUT")"
    same_as_serial "o$n/report.json"
    workers=$(json_get "o$n/report.json" \
      "len([w for w in [c for c in r['results'] if c['engine']=='mpi'][0]['reps'][0]['workers'] if w['name'].startswith('mpi.r')])")
    [ "$workers" = "$n" ] || fail "--ranks $n: $workers ranks in the report"
  done
}

quick_mpi_gnn_ranks_2_3_4() {
  need_mpirun
  need_workload gnn
  for n in 2 3 4; do
    run_gnx --engines serial,mpi --workloads gnn --sizes 8k --reps 1 --warmup 0 --ranks $n \
      --out "o$n"
    [ "$RC" -eq 0 ] || fail "--ranks $n exited $RC: $(cat "$ERR") $(cat "$OUT")"
    same_as_serial "o$n/report.json"
  done
}

# A rank, like a forked worker, makes before its start the buffers it
# mapped in the engine's previous run of the cell (harness/runner.c hands
# the sizes to mpirun's command line): the second run's ranks take a
# fraction of the first's page faults. ETL at 8000 records per item: 0.8 MB
# items, in mapped buffers.
quick_mpi_ranks_make_last_runs_buffers() {
  need_mpirun
  need_mapped_buffers
  run_gnx --engines mpi --workloads etl --sizes 64000 --batch 8000 --reps 2 --warmup 0 \
    --time-budget 0 --ranks 3 --quiet --out o
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR")"
  validate o/report.json
  faults=$(json_get o/report.json "[sum(w['counters']['page_faults'] for w in rep['workers'] if w['name'] in ('mpi.r1', 'mpi.r2')) for rep in [c for c in r['results'] if c['engine'] == 'mpi'][0]['reps']]")
  $PY - "$faults" <<'EOF' || fail "the worker ranks' page faults, run 1 and run 2: $faults"
import ast, sys
a, b = ast.literal_eval(sys.argv[1])
assert a > 400 and b * 2 < a, (a, b)
EOF
}

# --hosts: a hostfile (here naming only this machine) takes the path a
# cluster run takes: mpirun --hostfile, the TCP transport beside shared
# memory, rank 0 finding the harness by this host's name on every address.
quick_mpi_hostfile() {
  need_mpirun
  echo "localhost slots=3" >hosts.txt
  SHM_BEFORE=$(shm_snapshot)
  run_gnx --engines serial,mpi --workloads etl --sizes 8k --work 16 --reps 1 --warmup 0 \
    --ranks 3 --hosts hosts.txt --out o
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR") $(cat "$OUT")"
  same_as_serial o/report.json
  opt=$(json_get o/report.json "[c for c in r['results'] if c['engine']=='mpi'][0]['options']['hosts']")
  [ "$opt" = hosts.txt ] || fail "the cell does not record --hosts: '$opt'"
  no_leftovers
}

quick_mpi_rank_killed() {
  need_mpirun
  need_engines threads
  SHM_BEFORE=$(shm_snapshot)
  export TMPDIR="$WORK/tmp" # Open MPI's files of the killed job go with gnxbench's directory
  mkdir "$TMPDIR"
  run_gnx --engines mpi,threads --workloads etl --sizes 20k --work 16 --reps 1 --warmup 0 \
    --ranks 3 --fault worker=1,item=4,mode=kill --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -qE "mpi: rank 1 \(pid [1-9][0-9]* on [^)]+\) was killed by signal 9 \(SIGKILL\)" "$OUT" ||
    fail "no message naming the rank and the signal: $(cat "$OUT")"
  grep -qE "^  threads .* yes$" "$OUT" || fail "the threads cell was not measured: $(cat "$OUT")"
  validate o/report.json
  [ "$(json_get o/report.json "[c['status'] for c in r['results'] if c['engine']=='mpi'][0]")" = failed ] ||
    fail "mpi not marked failed in the report"
  no_leftovers
  [ -z "$(ls -A "$TMPDIR")" ] || fail "Open MPI's files left in TMPDIR: $(ls -A "$TMPDIR")"
}

quick_mpi_missing_mpirun() {
  need_engines mpi
  expect_usage_error "^gnxbench: --mpirun /nonexistent: not found or not executable; install Open MPI" \
    --engines mpi --workloads etl --sizes 1k --mpirun /nonexistent
  expect_usage_error "^gnxbench: --hosts /nonexistent: cannot read it" \
    --engines mpi --workloads etl --sizes 1k --hosts /nonexistent
}

# An mpirun that never starts a rank: the start-up timeout fails the cell,
# and the launcher's own children are gone too.
quick_mpi_mpirun_hangs() {
  need_mpirun
  printf '#!/bin/sh\nsleep 60 &\nwait\n' >hang.sh
  chmod +x hang.sh
  SHM_BEFORE=$(shm_snapshot)
  run_gnx --engines mpi --workloads etl --sizes 1k --work 16 --reps 1 --warmup 0 \
    --mpirun ./hang.sh --mpi-timeout 1 --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -q "mpi: the ranks did not reach the start barrier within --mpi-timeout" "$OUT" ||
    fail "no start-up timeout message: $(cat "$OUT")"
  validate o/report.json
  no_leftovers
}

# A broken launch: rank 0 cannot reach the harness (a wrapper points it at
# a closed port). The cell fails with the rank's own words, at once.
quick_mpi_rank0_cannot_connect() {
  need_mpirun
  printf '#!/bin/sh\nGNX_MPI_ADDR=127.0.0.1:1 exec mpirun "$@"\n' >badaddr.sh
  chmod +x badaddr.sh
  SHM_BEFORE=$(shm_snapshot)
  run_gnx --engines serial,mpi --workloads etl --sizes 1k --work 16 --reps 1 --warmup 0 \
    --mpirun ./badaddr.sh --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -q "gnxbench rank 0: mpi rank 0: cannot connect to the harness at 127.0.0.1:1" "$OUT" ||
    fail "no message from rank 0: $(cat "$OUT")"
  grep -qE "^  serial .* yes$" "$OUT" || fail "the serial cell was lost: $(cat "$OUT")"
  validate o/report.json
  no_leftovers
}

# Every rank's clock is skewed (rank r by (r + 1) x 3 s, as on other hosts):
# after the offsets, all spans of the run lie inside its wall on the
# harness's clock (within 5 ms: an offset is exact to half a round trip).
quick_mpi_clock_offsets() {
  need_mpirun
  GNX_MPI_TEST_SKEW_NS=3000000000 run_gnx --engines serial,mpi --workloads etl --sizes 20k \
    --work 16 --reps 1 --warmup 0 --ranks 3 --out o
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR") $(cat "$OUT")"
  same_as_serial o/report.json
  $PY - <<'EOF' || fail "spans outside the run's wall"
import json
r = json.load(open("o/report.json"))
wall_us = [c for c in r["results"] if c["engine"] == "mpi"][0]["stats"]["wall_s"]["median"] * 1e6
t = json.load(open("o/trace-etl-20000-mpi.json"))["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in t if e["ph"] == "M" and e["name"] == "thread_name"}
x = [e for e in t if e["ph"] == "X"]
ranks = {names[e["tid"]] for e in x if names[e["tid"]].startswith("mpi.r")}
assert ranks == {"mpi.r0", "mpi.r1", "mpi.r2"}, ranks
lo = min(e["ts"] for e in x)
hi = max(e["ts"] + e["dur"] for e in x)
print(f"spans from {lo:.0f} us to {hi:.0f} us, wall {wall_us:.0f} us")
assert lo > -5000 and hi < wall_us + 5000, (lo, hi, wall_us)
EOF
}

# Across two hosts that are network namespaces of this machine, each with
# its own sshd (bench/hosts.sh --quick): mpirun's daemons started over ssh,
# the ranks on both, serial's results, the clocks, a killed rank. Skips
# (77) unless root with `ip netns`, sshd and Open MPI; `timeout` ends it
# with SIGTERM well before the test's limit, so its trap removes what it
# made (and its watcher does after a SIGKILL).
slow_mpi_across_hosts() {
  need_mpirun
  timeout -s TERM 240 bash "$GNX_SRC/bench/hosts.sh" --quick --gnx "$GNX" >hosts.log 2>&1
  rc=$?
  [ "$rc" -eq 77 ] && skip "$(grep SKIP hosts.log)"
  [ "$rc" -eq 0 ] || fail "bench/hosts.sh --quick exited $rc: $(tail -n 20 hosts.log)"
  grep -q "ranks mpi.r0@gnxh1, mpi.r1@gnxh1, mpi.r2@gnxh2" hosts.log ||
    fail "ranks not on both hosts: $(cat hosts.log)"
  ! ip netns list | grep -qE "^gnxh[12]( |$)" || fail "namespaces left behind: $(ip netns list)"
  ! ip -o link | grep -qE ": gnx(br0|v[12])[:@]" || fail "links left behind"
}

# Listed with its options; where Open MPI is absent, as unavailable with the
# packages to install, and naming it is a usage error that says so.
quick_mpi_listed() {
  run_gnx list
  grep -qE "^  mpi " "$OUT" || fail "gnxbench list does not show mpi"
  grep -q -- "--ranks N" "$OUT" || fail "gnxbench list does not show --ranks"
  if grep -A1 -E "^  mpi " "$OUT" | grep -q "NOT AVAILABLE"; then
    grep -A1 -E "^  mpi " "$OUT" | grep -q "install openmpi-bin libopenmpi-dev" ||
      fail "the reason does not name the packages: $(cat "$OUT")"
    expect_usage_error "engine 'mpi' is not available: built without Open MPI" \
      --engines mpi --workloads etl --sizes 1k
  fi
}

run_case "$1"
