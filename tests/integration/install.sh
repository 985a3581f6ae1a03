#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installing like a Unix tool: a DESTDIR install holds the binary, the man
# page, both completions and the schema; the man page renders without
# warnings and documents every option and command the binary has (and no
# other); the bash completion completes names; `make uninstall` leaves no
# file; the .deb names its Depends.
. "$(dirname "$0")/lib.sh"

GNX_BUILD=${GNX_BUILD:?}
MAN="$GNX_SRC/man/gnxbench.1"

# locked CMD...: run CMD while no other test installs from this build:
# `cmake --install` and cpack both rewrite the build's install_manifest.txt,
# which is kept as it was (the user's own `make uninstall` reads it).
locked() {
  local m="$GNX_BUILD/install_manifest.txt"
  flock "$GNX_BUILD/.install.lock" bash -c '
    m=$1; shift
    [ -f "$m" ] && cp "$m" "$m.test-keep"
    "$@"; rc=$?
    [ -f "$m" ] && cp "$m" manifest
    if [ -f "$m.test-keep" ]; then mv "$m.test-keep" "$m"; else rm -f "$m"; fi
    exit $rc' locked "$m" "$@"
}

# install_into DIR: DESTDIR=DIR install to /usr/local; the manifest in ./manifest.
install_into() {
  command -v flock >/dev/null || skip "flock (util-linux) is not installed"
  DESTDIR="$1" locked cmake --install "$GNX_BUILD" --prefix /usr/local >install.log 2>&1 ||
    fail "cmake --install: $(tail -5 install.log)"
}

quick_destdir_layout() {
  install_into "$WORK/dest"
  local p="$WORK/dest/usr/local" f
  for f in bin/gnxbench share/man/man1/gnxbench.1 share/bash-completion/completions/gnxbench \
           share/zsh/site-functions/_gnxbench share/doc/gnxbench/report-schema.json \
           share/doc/gnxbench/statistics.md share/doc/gnxbench/ci.md; do
    [ -f "$p/$f" ] || fail "not installed: $f (have: $(cd "$p" && find . -type f))"
  done
  [ -x "$p/bin/gnxbench" ] || fail "the installed binary is not executable"
  "$p/bin/gnxbench" --version | grep -q '^gnxbench ' || fail "the installed binary does not run"
  cmp -s "$p/share/doc/gnxbench/report-schema.json" "$SCHEMA" || fail "the schema differs"
  # make install takes PREFIX and DESTDIR
  make -s -n -C "$GNX_SRC" install PREFIX=/opt/gx DESTDIR=/tmp/stage |
    grep -qF 'DESTDIR="/tmp/stage" cmake --install build/dev --prefix "/opt/gx"' ||
    fail "make install ignores PREFIX or DESTDIR: $(make -s -n -C "$GNX_SRC" install PREFIX=/opt/gx DESTDIR=/tmp/stage)"
}

quick_man_renders_without_warnings() {
  command -v man >/dev/null || skip "man (man-db) is not installed"
  local w
  w=$(MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
  [ -z "$w" ] || fail "man --warnings: $w"
  MANWIDTH=80 man -l "$MAN" 2>/dev/null >page.txt
  local s
  for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
    grep -qx "$s" page.txt || fail "the man page has no $s section"
  done
}

# man_section NAME: the roff source of section NAME (to the next .SH).
man_section() {
  awk -v s="$1" '/^\.SH /{on = ($0 == ".SH " s || $0 == ".SH \"" s "\"")} on' "$MAN"
}

# The options of `run --help` (lines "  --name") and of `list` (lines
# "      --name") are exactly the entries under OPTIONS (".B[IR] \-\-name").
quick_man_options_match_help() {
  run_gnx run --help
  grep -oE '^  --[a-z][a-z0-9-]*' "$OUT" | sed 's/^ *//' >help.opts
  run_gnx list
  grep -oE '^      --[a-z][a-z0-9-]*' "$OUT" | sed 's/^ *//' >>help.opts
  sort -u help.opts -o help.opts
  [ "$(wc -l <help.opts)" -ge 30 ] || fail "too few options found in --help and list: $(cat help.opts)"
  man_section OPTIONS | grep -oE '^\.B[IR]? \\-\\-[a-z][a-z0-9\\-]*' |
    sed -e 's/^\.B[IR]* //' -e 's/\\-/-/g' | sort -u >man.opts
  local missing extra
  missing=$(comm -23 help.opts man.opts | tr '\n' ' ')
  extra=$(comm -13 help.opts man.opts | tr '\n' ' ')
  [ -z "$missing" ] || fail "options without an entry under OPTIONS in man/gnxbench.1: $missing"
  [ -z "$extra" ] || fail "OPTIONS in man/gnxbench.1 lists options the binary lacks: $extra"
  # every subcommand of harness/main.c's table has an entry under COMMANDS
  local c
  for c in $("$GNX" list --names | sed -n 's/^commands: //p'); do
    man_section COMMANDS | grep -qE "^\.BI? $c( |$)|^\.BR $c " ||
      fail "command $c has no entry under COMMANDS in man/gnxbench.1"
  done
}

# man_command NAME: the roff source of NAME's entry under COMMANDS.
man_command() {
  man_section COMMANDS | awk -v c="$1" '/^\.TP/{on = 0} $0 ~ "^\\.B[IR]? " c "( |$)"{on = 1} on'
}

# The options of `compare --help` (lines "  --name") are exactly those its
# entry under COMMANDS names.
quick_man_compare_options_match_help() {
  run_gnx compare --help
  [ "$RC" -eq 0 ] || fail "compare --help exited $RC"
  grep -oE '^  --[a-z][a-z0-9-]*' "$OUT" | sed 's/^ *//' | sort -u >help.opts
  [ -s help.opts ] || fail "no options in compare --help: $(cat "$OUT")"
  man_command compare | grep -oE '\\-\\-[a-z][a-z0-9]*(\\-[a-z0-9]+)*' | sed 's/\\-/-/g' |
    sort -u >man.opts
  [ -s man.opts ] || fail "no compare entry with options in man/gnxbench.1"
  cmp -s help.opts man.opts ||
    fail "compare --help has $(tr '\n' ' ' <help.opts)but its man entry $(tr '\n' ' ' <man.opts)"
}

# complete WORD...: COMPREPLY of the bash completion for the words, the
# last being completed, with the installed binary first on PATH.
complete_words() {
  PATH="$WORK/dest/usr/local/bin:$PATH" bash -c '
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gnxbench
    echo "${COMPREPLY[*]}"' complete "$WORK/dest/usr/local/share/bash-completion/completions/gnxbench" "$@"
}

quick_bash_completion() {
  install_into "$WORK/dest"
  local got
  got=$(complete_words gnxbench --engines thr)
  [ "$got" = threads ] || fail "gnxbench --engines thr completes to '$got'"
  got=$(complete_words gnxbench pre)
  [ "$got" = predict ] || fail "gnxbench pre completes to '$got'"
  got=$(complete_words gnxbench --engines serial,pro)
  [ "$got" = serial,procpool ] || fail "gnxbench --engines serial,pro completes to '$got'"
  got=$(complete_words gnxbench --workloads "")
  [ "$got" = "all etl gnn null" ] || fail "--workloads completes to '$got'"
  got=$(complete_words gnxbench --counters "")
  [ "$got" = "auto papi perf off" ] || fail "--counters completes to '$got'"
  got=$(complete_words gnxbench --tr)
  [ "$got" = "--trace --transport" ] || fail "gnxbench --tr completes to '$got'"
  got=$(complete_words gnxbench gate --baseline ci.json -- --transport p)
  [ "$got" = pipe ] || fail "a run option after gate -- completes to '$got'"
  got=$(complete_words gnxbench gate --mark)
  [ "$got" = --markdown ] || fail "gnxbench gate --mark completes to '$got'"
  got=$(complete_words gnxbench compare A.json --ch)
  [ "$got" = --chart ] || fail "gnxbench compare A.json --ch completes to '$got'"
}

# zsh: the completion parses, and with compadd standing in for zsh's
# completion system it offers the same names.
quick_zsh_completion() {
  command -v zsh >/dev/null || skip "zsh is not installed"
  local f="$GNX_SRC/completions/_gnxbench" got
  zsh -n "$f" || fail "_gnxbench does not parse"
  got=$(PATH="$(dirname "$GNX"):$PATH" zsh -f -c '
    compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} || print -l -- "$@"; }
    _sequence() { "$@"; }
    words=(gnxbench --engines thr); CURRENT=3
    source "$1" | grep "^thr"
    words=(gnxbench pre); CURRENT=2
    source "$1" | grep "^pre"' zsh "$f" | tr '\n' ' ')
  [ "$got" = "threads predict " ] || fail "zsh completes to '$got'"
}

quick_uninstall_leaves_no_files() {
  install_into "$WORK/dest"
  [ -n "$(find "$WORK/dest" -type f)" ] || fail "nothing was installed"
  make -s -C "$GNX_SRC" uninstall DESTDIR="$WORK/dest" MANIFEST="$WORK/manifest" >uninstall.log 2>&1 ||
    fail "make uninstall: $(cat uninstall.log)"
  local left
  left=$(find "$WORK/dest" -type f -o -type l)
  [ -z "$left" ] || fail "make uninstall left: $left"
  [ ! -d "$WORK/dest/usr/local/share/doc/gnxbench" ] || fail "make uninstall left the docs folder"
}

quick_deb_depends() {
  command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
  command -v cpack >/dev/null || skip "cpack is not installed"
  install_into "$WORK/dest" # skips without flock
  locked cpack -G DEB --config "$GNX_BUILD/CPackConfig.cmake" -B "$WORK/deb" >cpack.log 2>&1 ||
    fail "cpack -G DEB: $(tail -5 cpack.log)"
  local deb
  deb=$(ls "$WORK"/deb/gnxbench_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || fail "cpack made no .deb: $(tail -5 cpack.log)"
  dpkg-deb -f "$deb" Depends >depends
  grep -q 'libc6' depends && grep -q 'libjansson4' depends || fail "Depends: $(cat depends)"
  dpkg-deb -c "$deb" | grep -q '\./usr/bin/gnxbench$' || fail "the .deb has no usr/bin/gnxbench"
  dpkg-deb -c "$deb" | grep -q '\./usr/share/man/man1/gnxbench\.1' || fail "the .deb has no man page"
}

run_case "$1"
