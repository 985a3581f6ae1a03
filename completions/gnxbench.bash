# SPDX-License-Identifier: MIT
# bash completion for gnxbench(1): commands, options, engine and workload
# names, and the values of options that take one of a fixed list. The names
# come from the gnxbench being completed (`gnxbench list --names`), so they
# follow what that build has. Installed as
# share/bash-completion/completions/gnxbench.

# _gnxbench_names KIND: the names of KIND (commands, engines, workloads,
# options) that the gnxbench on the command line knows.
_gnxbench_names() {
  local bin=${COMP_WORDS[0]}
  command -v "$bin" >/dev/null 2>&1 || bin=gnxbench
  "$bin" list --names 2>/dev/null | sed -n "s/^$1: //p"
}

# _gnxbench_list WORDS: complete the last item of a comma list from WORDS.
_gnxbench_list() {
  local cur=${COMP_WORDS[COMP_CWORD]} done=""
  [[ $cur == *,* ]] && done=${cur%,*},
  COMPREPLY=($(compgen -P "$done" -W "$1" -- "${cur##*,}"))
}

# _gnxbench_value OPTION: complete OPTION's value; 1 when it takes none.
_gnxbench_value() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  case $1 in
    --engines) _gnxbench_list "all $(_gnxbench_names engines)" ;;
    --workloads) _gnxbench_list "all $(_gnxbench_names workloads)" ;;
    --counters) COMPREPLY=($(compgen -W "auto papi perf off" -- "$cur")) ;;
    --trace) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
    --order) COMPREPLY=($(compgen -W "fixed random" -- "$cur")) ;;
    --transport) COMPREPLY=($(compgen -W "shm pipe" -- "$cur")) ;;
    --dispatch) COMPREPLY=($(compgen -W "item stage" -- "$cur")) ;;
    --pin) COMPREPLY=($(compgen -W "none compact scatter" -- "$cur")) ;;
    --out | --save-output) COMPREPLY=($(compgen -d -- "$cur")) ;;
    --graph | --features | --baseline | --report | --junit | --markdown | --chart | --hosts)
      COMPREPLY=($(compgen -f -- "$cur")) ;;
    --mpirun) COMPREPLY=($(compgen -c -- "$cur")) ;;
    --quiet | --replace | --update-baseline | --help | --version | --) return 1 ;;
    --*) COMPREPLY=() ;; # a number or a spec: nothing to offer
    *) return 1 ;;
  esac
  return 0
}

_gnxbench() {
  COMPREPLY=()
  local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd=run i
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # --name=value: bash splits at '=' (COMP_WORDBREAKS)
  [[ $prev == = && $COMP_CWORD -gt 1 ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
  [[ $cur == = ]] && cur=""
  if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[1]} != -* ]]; then
    cmd=${COMP_WORDS[1]}
  fi
  # gate passes the words after -- to the rerun: they are run options
  for ((i = 2; i < COMP_CWORD; i++)); do
    [[ $cmd == gate && ${COMP_WORDS[i]} == -- ]] && cmd=run
  done
  _gnxbench_value "$prev" && return 0
  local words
  if [[ $cur == -* ]]; then
    case $cmd in
      run) words="$(_gnxbench_names options) --help"
        ((COMP_CWORD == 1)) && words+=" --version" ;;
      gate) words="--baseline --max-drop --max-width --report --out --update-baseline
                   --junit --markdown --help --" ;;
      predict) words="--cores --what-if --set --quiet --help" ;;
      report | recommend) words="--quiet --help" ;;
      compare) words="--chart --help" ;;
      *) words="--help" ;;
    esac
  elif ((COMP_CWORD == 1)); then
    words=$(_gnxbench_names commands)
  else
    case $cmd in
      report | recommend | predict) COMPREPLY=($(compgen -d -- "$cur")) ;;
      compare) COMPREPLY=($(compgen -f -- "$cur")) ;;
      scenario) ((COMP_CWORD == 2)) &&
        COMPREPLY=($(compgen -W "list $(gnxbench scenario list 2>/dev/null | cut -d' ' -f1)" -- "$cur")) ;;
    esac
    return 0
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _gnxbench gnxbench
