#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/viewer/speedscope.sh TRACE.json DOM.html [SHOT.png [THREAD [VIEW]]]:
# open a Chrome trace in speedscope (the npm package pinned in this folder)
# under headless Chromium and write the rendered page's DOM to DOM.html,
# and with SHOT.png a 1200x640 screenshot of thread THREAD (0: the first;
# speedscope sorts threads by pid, then tid) in VIEW (time-ordered,
# left-heavy or sandwich). speedscope fetches the trace, which file:// URLs
# forbid, so both are served by `python3 -m http.server` on a free port of
# 127.0.0.1 for the length of the call.
# Exit 0; 77 when chromium, python3 or speedscope (npm ci here: make
# viewer) is missing; 1 on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
trace=$1 dom=$2 shot=${3:-} thread=${4:-0} view=${5:-time-ordered}
release="$here/node_modules/speedscope/dist/release"
browser=$(command -v chromium || command -v chromium-browser) || { echo "SKIP: chromium is not installed"; exit 77; }
py=$(command -v python3) || { echo "SKIP: python3 is not installed"; exit 77; }
if [ ! -f "$release/index.html" ]; then
  # from the npm cache only: a test never reaches for the network
  command -v npm >/dev/null && (cd "$here" && flock . npm ci --offline --no-audit --no-fund) >/dev/null 2>&1
  [ -f "$release/index.html" ] || { echo "SKIP: speedscope is not installed (make viewer)"; exit 77; }
fi
srv=$(mktemp -d /tmp/gnx-speedscope.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$srv"' EXIT
# speedscope reports a profile it cannot import with alert(), which would
# hold headless Chromium until its timeout: the served copy writes the
# message into the page instead (<pre id="gnx-alert">), where DOM.html
# shows it.
cp -r "$release" "$srv/speedscope"
sed -i 's|<head>|<head><script>window.alert = (m) => { const p = document.createElement("pre"); p.id = "gnx-alert"; p.textContent = String(m); document.documentElement.appendChild(p); };</script>|' "$srv/speedscope/index.html"
cp "$here/open.html" "$srv/open.html"
name=$(basename "$trace")
cp "$trace" "$srv/$name"
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >"$srv/http.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  "$py" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
  sleep 0.1
done
base="http://127.0.0.1:$port"
chrome() {
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$srv/profile" --virtual-time-budget=5000 "$@" 2>>"$srv/chromium.log"
}
chrome --dump-dom "$base/speedscope/index.html#profileURL=$base/$name" >"$dom" ||
  { echo "chromium failed: $(tail -3 "$srv/chromium.log")" >&2; exit 1; }
if [ -n "$shot" ]; then
  chrome --window-size=1200,${GNX_SHOT_HEIGHT:-640} --screenshot="$shot" \
    "$base/open.html?trace=$base/$name&profile=$thread&view=$view" >/dev/null ||
    { echo "chromium failed: $(tail -3 "$srv/chromium.log")" >&2; exit 1; }
fi
grep -q "\"GET /$name" "$srv/http.log" || { echo "speedscope never fetched the trace" >&2; exit 1; }
exit 0
