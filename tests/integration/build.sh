# SPDX-License-Identifier: MIT
# The build itself: the layering it enforces. Engines and workloads see
# only include/gnx/ (and their own folder); a harness or core-private
# header does not compile there. The probes are built with exactly the
# engine's and the workload's include path (engines/CMakeLists.txt).
. "$(dirname "$0")/lib.sh"

GNX_BUILD=${GNX_BUILD:?}

quick_layering_engine_cannot_include_harness() {
  cmake --build "$GNX_BUILD" --target layering-engine-ok >"$WORK/ok.log" 2>&1 ||
    fail "the positive probe (contract + common/) did not compile: $(tail -5 "$WORK/ok.log")"
  if cmake --build "$GNX_BUILD" --target layering-engine-bad >"$WORK/bad.log" 2>&1; then
    fail "an engine including harness/registry.h compiled: the layering is not enforced"
  fi
  grep -q "harness/registry.h" "$WORK/bad.log" ||
    fail "the engine probe failed for another reason: $(tail -5 "$WORK/bad.log")"
}

quick_layering_workload_cannot_include_core() {
  if cmake --build "$GNX_BUILD" --target layering-workload-bad >"$WORK/bad.log" 2>&1; then
    fail "a workload including core/counters.h compiled: the layering is not enforced"
  fi
  grep -q "core/counters.h" "$WORK/bad.log" ||
    fail "the workload probe failed for another reason: $(tail -5 "$WORK/bad.log")"
}

run_case "$1"
