#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Chrome traces as viewers read them: the flow events' structure (every
# item's flow starts once, ends once, and runs across workers in stage
# order, each point inside a span of that item), and the trace rendered by
# speedscope under headless Chromium (tests/viewer/speedscope.sh), one
# thread per worker, where a cut trace is refused.
. "$(dirname "$0")/lib.sh"

VIEWER="$GNX_SRC/tests/viewer/speedscope.sh"

# traces ENGINES: a null run of 200 items under ENGINES, traces in out/.
traces() {
  "$GNX" --engines "$1" --workloads null --sizes 200 --reps 1 --warmup 0 --quiet --out out \
    >/dev/null 2>"$WORK/run.err" || fail "the run failed: $(cat "$WORK/run.err")"
}

# check_flows TRACE ENGINE: the flow events of TRACE are sound.
check_flows() {
  "$PY" - "$1" "$2" <<'PY' || fail "flows of $2: see above"
import json, sys
path, engine = sys.argv[1], sys.argv[2]
ev = json.load(open(path))["traceEvents"]
xs = [e for e in ev if e["ph"] == "X" and e["cat"] == "exec"]
flows = {}
for e in ev:
    if e["ph"] in ("s", "t", "f"):
        assert e["cat"] == "flow" and e["name"] == "item", e
        flows.setdefault(e["id"], []).append(e)
by_thread = {}
for x in xs:
    by_thread.setdefault((x["pid"], x["tid"]), []).append(x)

def span_of(p):
    """The exec span a flow point binds to: on its thread, around its ts."""
    inside = [x for x in by_thread.get((p["pid"], p["tid"]), [])
              if x["ts"] <= p["ts"] <= x["ts"] + x["dur"]]
    assert len(inside) == 1, f"flow point {p} is inside {len(inside)} exec spans"
    return inside[0]

for fid, pts in flows.items():
    phases = [p["ph"] for p in pts]
    assert phases.count("s") == 1 and phases.count("f") == 1, f"item {fid}: {phases}"
    pts.sort(key=lambda p: p["ts"])
    assert pts[0]["ph"] == "s" and pts[-1]["ph"] == "f", f"item {fid}: {phases} out of order"
    assert pts[-1].get("bp") == "e", f"item {fid}: the end does not bind to its slice"
    spans = [span_of(p) for p in pts]
    assert all(s["item"] == fid for s in spans), f"item {fid}: a point on another item's span"
    stages = [s["stage"] for s in spans]
    assert stages == sorted(set(stages)), f"item {fid}: stages {stages} not in order"
    threads = [(p["pid"], p["tid"]) for p in pts]
    assert len(set(threads)) >= 2, f"item {fid}: a flow that never leaves its worker"
items = {x["item"] for x in xs if x["item"] >= 0}
if engine == "serial":
    assert not flows, f"serial runs every item on one worker, yet has {len(flows)} flows"
else:
    # every item reaches the sink from another worker
    assert set(flows) == items, f"{len(items - set(flows))} items without a flow"
print(f"{engine}: {len(flows)} flows over {sum(map(len, flows.values()))} points")
PY
}

quick_trace_flows_structure() {
  local engines=serial e
  for e in threads procpool subproc async; do
    "$GNX" list --names | grep -q "^engines: .*\b$e\b" && engines=$engines,$e
  done
  traces $engines
  for e in ${engines//,/ }; do
    check_flows "out/trace-null-200-$e.json" "$e"
  done
  # and a flow that runs backwards is caught
  "$PY" - out/trace-null-200-serial.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
xs = [e for e in t["traceEvents"] if e["ph"] == "X" and e["item"] == 3 and e["cat"] == "exec"]
xs.sort(key=lambda x: x["ts"])
a, b = xs[0], xs[-1]
t["traceEvents"] += [dict(ph="s", name="item", cat="flow", id=3, pid=b["pid"], tid=b["tid"], ts=b["ts"]),
                     dict(ph="f", name="item", cat="flow", id=3, pid=a["pid"], tid=a["tid"], ts=a["ts"] + a["dur"], bp="e")]
json.dump(t, open("backwards.json", "w"))
PY
  if (check_flows backwards.json threads) >/dev/null 2>&1; then
    fail "a backwards flow passed the check"
  fi
}

# visible DOM.html: the text of the page, without scripts and styles.
visible() {
  "$PY" -c '
import re, sys
d = open(sys.argv[1]).read()
d = re.sub(r"<(style|script)\b.*?</\1>", "", d, flags=re.S)
print(" ".join(re.sub(r"<[^>]+>", " ", d).split()))' "$1"
}

# shown DOM TRACE: speedscope's page DOM shows TRACE: its title, one
# profile per thread that has spans, named by the trace's M events, and no
# error. Prints what is wrong and returns 1 otherwise.
shown() {
  local page names n name
  page=$(visible "$1")
  grep -qF "$(basename "$2") - speedscope" "$1" || { echo "no title: ${page:0:600}"; return 1; }
  if grep -qiE 'Something went wrong|Unrecognized format|id="gnx-alert"' "$1"; then
    echo "speedscope could not show the trace: ${page:0:600}"
    return 1
  fi
  names=$("$PY" -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
named = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
busy = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "X"}
print("\n".join(f"gnxbench (pid {p}), {named[(p, t)]} (tid {t})" for p, t in sorted(busy)))' "$3")
  n=$(wc -l <<<"$names")
  grep -qF "(1/$n)" <<<"$page" || { echo "speedscope does not show $n threads: ${page:0:600}"; return 1; }
  while IFS= read -r name; do
    grep -qF "$name" <<<"$page" || { echo "speedscope does not list '$name': ${page:0:900}"; return 1; }
  done <<<"$names"
}

slow_speedscope_renders_trace() {
  "$GNX" list --names | grep -q "^engines: .*\bthreads\b" || skip "no threads engine"
  traces serial,threads
  local tr=out/trace-null-200-threads.json rc why
  "$VIEWER" "$tr" dom.html shot.png 1 >viewer.out
  rc=$?
  [ "$rc" -eq 77 ] && skip "$(tail -1 viewer.out)"
  [ "$rc" -eq 0 ] || fail "speedscope.sh exited $rc: $(cat viewer.out)"
  [ "$(grep -c '"thread_name"' "$tr")" -ge 5 ] || fail "too few threads in $tr"
  why=$(shown dom.html "$tr" "$tr") || fail "$why"
  # the screenshot: a PNG of the window's size, of the second thread
  "$PY" - shot.png <<'PY' || fail "shot.png is not a 1200x640 PNG"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1200, 640), (w, h)
assert len(b) > 8000, f"{len(b)} bytes: an empty page?"
PY
  # a cut trace (its names, none of its spans) fails the same check
  head -c 3000 "$tr" >cut.json
  "$VIEWER" cut.json cut.html >viewer.out || fail "speedscope.sh on a cut trace: $(cat viewer.out)"
  if shown cut.html cut.json "$tr" >/dev/null; then
    fail "a cut trace passed as shown: $(visible cut.html | head -c 600)"
  fi
}

run_case "$1"
