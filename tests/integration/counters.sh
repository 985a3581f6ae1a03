# SPDX-License-Identifier: MIT
# Counters and pinning through the command line: every counter in the
# report has a source or the reason it is missing, per-worker counters and
# placement, --counters off and --pin none change nothing else.
. "$(dirname "$0")/lib.sh"

quick_counters_sources_and_reasons() {
  run_gnx --engines threads,procpool --workloads etl --sizes 2000 --reps 1 --warmup 0 --quiet --out o
  [ "$RC" -eq 0 ] || fail "run exited $RC: $(cat "$ERR")"
  validate o/report.json
  # every counter: a source, or no source and a reason
  json_get o/report.json "all(v.get('source') or v.get('reason') for v in r['counters']['counters'].values())" | grep -qx True || fail "a counter has neither source nor reason"
  src=$(json_get o/report.json "r['counters']['counters']['task_clock_ns']['source']")
  case "$src" in perf_event|rusage) ;; *) fail "task_clock_ns source '$src'" ;; esac
  # PAPI's hardware events: counted, or the reason PAPI gave
  json_get o/report.json "(lambda c: c['source'] == 'papi' or len(c['reason']) > 10)(r['counters']['counters']['PAPI_TOT_CYC'])" | grep -qx True || fail "PAPI_TOT_CYC: no source and no reason"
  # per repetition and per worker, with their sources
  json_get o/report.json "all('task_clock_ns' in rep['counters'] and rep['counters']['sources'] for c in r['results'] for rep in c['reps'])" | grep -qx True || fail "a repetition without counters"
  json_get o/report.json "all(w['counters']['task_clock_ns'] >= 0 for c in r['results'] for rep in c['reps'] for w in rep['workers'])" | grep -qx True || fail "a worker without counters"
}

quick_counters_modes_validate() {
  for m in papi perf off; do
    rm -rf "m-$m"
    run_gnx --engines procpool --workloads null --sizes 200 --reps 1 --warmup 0 --quiet --out "m-$m" --counters "$m"
    [ "$RC" -eq 0 ] || fail "--counters $m exited $RC: $(cat "$ERR")"
    validate "m-$m/report.json"
    json_get "m-$m/report.json" "r['counters']['mode']" | grep -qx "$m" || fail "--counters $m not recorded"
  done
  # papi: software counters come from getrusage, saying why not perf_event
  json_get m-papi/report.json "r['counters']['counters']['task_clock_ns']['source'] == 'rusage' and 'perf_event not used' in r['counters']['counters']['task_clock_ns']['reason']" | grep -qx True || fail "--counters papi: task_clock_ns not from rusage with a reason"
  # perf: PAPI events are listed as not used
  json_get m-perf/report.json "r['counters']['counters']['PAPI_TOT_CYC']['source'] is None" | grep -qx True || fail "--counters perf still uses PAPI"
}

quick_counters_off_and_pin_none_unchanged() {
  run_gnx --engines threads --workloads etl --sizes 2000 --reps 1 --warmup 0 --quiet --out a
  [ "$RC" -eq 0 ] || fail "run exited $RC"
  run_gnx --engines threads --workloads etl --sizes 2000 --reps 1 --warmup 0 --quiet --out b --counters off --pin none
  [ "$RC" -eq 0 ] || fail "run with --counters off exited $RC: $(cat "$ERR")"
  validate b/report.json
  json_get b/report.json "any('counters' in rep for c in r['results'] for rep in c['reps'])" | grep -qx False || fail "--counters off still counts per repetition"
  json_get b/report.json "any('placement' in w for c in r['results'] for rep in c['reps'] for w in rep['workers'])" | grep -qx False || fail "--pin none still places"
  sa=$(json_get a/report.json "[c['summary'] for c in r['results']]")
  sb=$(json_get b/report.json "[c['summary'] for c in r['results']]")
  [ "$sa" = "$sb" ] || fail "results differ with --counters off"
}

quick_pin_compact_places_workers() {
  run_gnx --engines threads,procpool --workloads etl --sizes 2000 --reps 1 --warmup 0 --quiet --out p --pin compact
  if grep -q "without hwloc" "$ERR"; then skip "built without hwloc"; fi
  [ "$RC" -eq 0 ] || fail "pinned run exited $RC: $(cat "$ERR")"
  validate p/report.json
  json_get p/report.json "r['pinning']['policy']" | grep -qx compact || fail "pinning policy not recorded"
  json_get p/report.json "all(w['placement']['asked'] == w['placement']['cpu_begin'] == w['placement']['cpu_end'] and not w['placement']['migrated'] for c in r['results'] for rep in c['reps'] for w in rep['workers'])" | grep -qx True || fail "a pinned worker ran elsewhere: $(json_get p/report.json "[w['placement'] for c in r['results'] for rep in c['reps'] for w in rep['workers']]")"
}

quick_counters_pin_usage_errors() {
  expect_usage_error "^gnxbench: --counters: 'bogus' is not auto, papi, perf or off$" --workloads null --sizes 10 --counters bogus
  expect_usage_error "^gnxbench: --pin: " --workloads null --sizes 10 --pin spread
  expect_usage_error "^gnxbench: --pin: " --workloads null --sizes 10 --pin 0,,1
  expect_usage_error "^gnxbench: --pin: " --workloads null --sizes 10 --pin 999
  expect_usage_error "^gnxbench: --events: " --workloads null --sizes 10 --events ,
}

quick_counters_named_event_missing_warns_once() {
  # an event the user named and the machine cannot count: one warning line
  # on stderr naming it, the run goes on, the report gives PAPI's reason
  run_gnx --engines threads --workloads null --sizes 100 --reps 2 --warmup 0 --quiet --out ev \
    --events PAPI_NO_SUCH_EVENT
  [ "$RC" -eq 0 ] || fail "run exited $RC: $(cat "$ERR")"
  [ "$(grep -c "warning: --events PAPI_NO_SUCH_EVENT will not be counted: " "$ERR")" -eq 1 ] ||
    fail "no single warning for the missing event: $(cat "$ERR")"
  json_get ev/report.json "r['counters']['counters']['PAPI_NO_SUCH_EVENT']['source'] is None and len(r['counters']['counters']['PAPI_NO_SUCH_EVENT']['reason']) > 5" | grep -qx True || fail "the report does not give the reason"
  validate ev/report.json
}

quick_counters_papi_path_every_engine() {
  # PAPI's per-worker path, end to end, through every engine (threads,
  # forked processes, libuv's pool): perf:: software events are PAPI native
  # events wherever its perf_event component is enabled, PMU or not
  run_gnx --engines all --workloads etl --sizes 3000 --reps 1 --warmup 0 --quiet --out pp \
    --events perf::TASK-CLOCK
  [ "$RC" -eq 0 ] || fail "run exited $RC: $(cat "$ERR")"
  validate pp/report.json
  src=$(json_get pp/report.json "r['counters']['counters']['perf::TASK-CLOCK']['source']")
  [ "$src" = papi ] || skip "PAPI cannot count perf::TASK-CLOCK here: $(json_get pp/report.json "r['counters']['counters']['perf::TASK-CLOCK'].get('reason')")"
  # every worker counted its own thread, and the run's figure is their sum
  json_get pp/report.json "all(rep['counters']['perf::TASK-CLOCK'] == sum(w['counters']['perf::TASK-CLOCK'] for w in rep['workers']) and all(w['counters']['perf::TASK-CLOCK'] > 0 for w in rep['workers']) for c in r['results'] for rep in c['reps'])" | grep -qx True ||
    fail "per-worker PAPI counts missing or not summed: $(json_get pp/report.json "[(c['engine'], [(w['name'], w['counters'].get('perf::TASK-CLOCK')) for w in c['reps'][0]['workers']]) for c in r['results']]")"
  # the busiest worker is one of those that ran transform (threads: which
  # of its transform workers took more items is the scheduler's choice)
  json_get pp/report.json "(lambda ws: max(ws, key=lambda w: w['counters']['perf::TASK-CLOCK'])['name'])([c for c in r['results'] if c['engine'] == 'threads'][0]['reps'][0]['workers'])" | grep -qx "transform\.[0-9]*" ||
    fail "the threads engine's busiest worker is not transform"
}

quick_list_shows_topology() {
  run_gnx list
  [ "$RC" -eq 0 ] || fail "list exited $RC"
  grep -q "cpus this process may use" "$OUT" || fail "list does not show the allowed CPUs"
  # what would be counted, from where, and why not the rest (each reason once)
  grep -qE "^  task_clock_ns +(perf_event|rusage)" "$OUT" || fail "list does not show the task-clock source"
  grep -qE "^  (PAPI_TOT_CYC +papi|not counted: .*PAPI_TOT_CYC.*: .+)" "$OUT" || fail "list says nothing of PAPI_TOT_CYC"
  [ "$(grep -c "PAPI_TOT_CYC" "$OUT")" -eq 1 ] || fail "PAPI_TOT_CYC listed more than once"
  if grep -q "topology (hwloc)" "$OUT"; then
    grep -qE "allowed cpuset: " "$OUT" || fail "list does not show the allowed cpuset"
    grep -qE "caches: " "$OUT" || fail "list does not show the caches"
  fi
}

run_case "$1"
