# SPDX-License-Identifier: MIT
# Engines through the command line: every engine verified against serial,
# a dying worker process, and SIGINT during a run. After each: no gnxbench
# process left, no new /dev/shm object, and the report holds what was
# measured.
. "$(dirname "$0")/lib.sh"

quick_all_engines_verified() {
  need_engines serial
  run_gnx --engines all --workloads etl --sizes 1,999,2500 --work 16 --reps 2 --warmup 0 --out o
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR") $(cat "$OUT")"
  validate o/report.json
  n=$(json_get o/report.json "len([c for c in r['results'] if c['verified'] and c['status']=='ok'])")
  total=$(json_get o/report.json "len(r['results'])")
  [ "$n" = "$total" ] || fail "$n of $total cells verified"
  engines=$(json_get o/report.json "len(r['config']['engines'])")
  [ "$total" = $((engines * 3)) ] || fail "expected $((engines * 3)) cells, got $total"
}

quick_procpool_worker_killed() {
  need_engines procpool threads
  SHM_BEFORE=$(shm_snapshot)
  run_gnx --engines procpool,threads --workloads etl --sizes 20k --work 16 --reps 1 --warmup 0 \
    --workers 2 --fault worker=1,item=5,mode=kill --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -qE "worker procpool.w1 \(pid [0-9]+\) was killed by signal 9 \(SIGKILL\) in stage [a-z]+ at item" "$OUT" ||
    fail "no message naming the worker and the signal: $(cat "$OUT")"
  grep -qE "^  threads .* yes$" "$OUT" || fail "the threads run did not happen or verify: $(cat "$OUT")"
  validate o/report.json
  [ "$(json_get o/report.json "[c['status'] for c in r['results'] if c['engine']=='procpool'][0]")" = failed ] ||
    fail "procpool not marked failed in the report"
  no_leftovers
}

# A fault that could fire but did not (an item no worker reached) tested
# nothing: the run says so, exits 1, and the report records it.
quick_fault_that_never_fired() {
  need_engines procpool
  run_gnx --engines procpool --workloads etl --sizes 2000 --reps 1 --warmup 0 \
    --workers 2 --fault worker=1,item=999,mode=kill --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -q "^gnxbench: --fault worker=1,item=999 never fired" "$ERR" || fail "not said: $(cat "$ERR")"
  grep -q "some runs failed" "$ERR" && fail "blames failed runs: $(cat "$ERR")"
  validate o/report.json
  [ "$(json_get o/report.json "r['config']['fault']['fired_runs']")" = 0 ] || fail "fired_runs is not 0"
  json_get o/report.json "r['error']" | grep -q "never fired" || fail "the report's error does not say it"
  run_gnx --engines procpool --workloads etl --sizes 20k --work 16 --reps 2 --warmup 0 \
    --workers 2 --fault worker=1,item=0,mode=kill --out o2
  [ "$(json_get o2/report.json "r['config']['fault']['fired_runs']")" -ge 1 ] || fail "a fired fault not counted"
}

quick_subproc_worker_aborts() {
  need_engines subproc
  SHM_BEFORE=$(shm_snapshot)
  run_gnx --engines subproc --workloads etl --sizes 20k --work 16 --reps 1 --warmup 0 \
    --fault worker=2,item=3,mode=abort --out o
  [ "$RC" -eq 1 ] || fail "exited $RC, expected 1: $(cat "$ERR")"
  grep -qE "worker [a-z]+\.[0-9] \(pid [0-9]+\) was killed by signal 6 \(SIGABRT\) in stage [a-z]+ at item" "$OUT" ||
    fail "no message naming the signal: $(cat "$OUT")"
  grep -qE "^  serial .* yes$" "$OUT" || fail "the serial run was lost: $(cat "$OUT")"
  validate o/report.json
  no_leftovers
}

# interrupt ENGINE SIGNAL: start a long run, signal it mid-way, check cleanup.
# async --dispatch item streams: item 0's last stage ends while most sources
# are still to run; with --dispatch stage (one FIFO pool job per stage)
# every item's source runs before item 0's second stage. Judged from the
# pool threads' own spans: when the loop thread runs the sink depends on
# the scheduler (on a loaded machine, the next tick), not on the dispatch.
quick_async_dispatch_item_streams() {
  need_engines async
  for d in item stage; do
    run_gnx --engines async --workloads null --sizes 16 --cost s1=2000 --workers 2 --inflight 16 \
      --dispatch $d --reps 1 --warmup 0 --quiet --out "d-$d"
    [ "$RC" -eq 0 ] || fail "--dispatch $d exited $RC: $(cat "$ERR")"
  done
  $PY - <<'EOF2' || fail "async did not stream with --dispatch item"
import json
def order(d):
    t = json.load(open(f"d-{d}/trace-null-16-async.json"))["traceEvents"]
    x = [e for e in t if e["ph"] == "X" and e.get("cat") == "exec"]
    done0 = max(e["ts"] + e["dur"] for e in x if e["item"] == 0 and e["name"] != "sink")
    return len([e for e in x if e["name"] == "gen" and e["ts"] >= done0])
item, stage = order("item"), order("stage")
print(f"sources after item 0's stages: item {item}, stage {stage}")
assert item >= 8, item   # 16 items, 2 workers: most sources come later
assert stage == 0, stage # breadth first: every source before item 0's next stage
EOF2
}

interrupt() {
  local engine=$1 sig=$2
  need_engines "$engine"
  SHM_BEFORE=$(shm_snapshot)
  "$GNX" --engines "$engine" --workloads etl --sizes 20k,200k --work 600 --reps 3 --warmup 0 \
    --out o >"$WORK/out.txt" 2>"$WORK/err.txt" &
  local pid=$!
  # wait until the first size's report is written, then interrupt the second
  for _ in $(seq 1 200); do [ -f o/report.json ] && break; sleep 0.05; done
  [ -f o/report.json ] || { kill -9 $pid; fail "no report after 10 s"; }
  sleep 0.3
  kill -s "$sig" $pid
  wait $pid
  local rc=$?
  [ "$rc" -eq 130 ] || fail "$engine: exited $rc after SIG$sig, expected 130: $(cat "$WORK/err.txt")"
  grep -q "interrupted by SIG$sig" "$WORK/err.txt" || fail "no interruption message: $(cat "$WORK/err.txt")"
  validate o/report.json
  [ "$(json_get o/report.json "r['status']")" = incomplete ] || fail "report not marked incomplete"
  [ "$(json_get o/report.json "r['interrupted']")" = True ] || fail "report not marked interrupted"
  [ "$(json_get o/report.json "len([c for c in r['results'] if c['size']==20000 and c['verified']])")" -ge 1 ] ||
    fail "the results measured before the signal were lost"
  no_leftovers
}

quick_sigint_threads() { interrupt threads INT; }
quick_sigint_procpool() { interrupt procpool INT; }
quick_sigterm_subproc() { interrupt subproc TERM; }
quick_sigint_async() { interrupt async INT; }
quick_sigint_mpi() { need_mpirun; interrupt mpi INT; }

run_case "$1"
