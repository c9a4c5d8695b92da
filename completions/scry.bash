# bash completion for scry(8) and its tools (the scry-NAME links of share/scry/tools/).
# Installed as share/bash-completion/completions/scry. Completes the options and their values
# (output formats, debug stages, modes, process ids, files), probe types and, after `-l` or in
# the first word of `-e`, tracepoint names read from tracefs (as root).

_scry_tracepoints() {
  local events
  for events in /sys/kernel/tracing/available_events /sys/kernel/debug/tracing/available_events; do
    if [[ -r $events ]]; then
      # available_events lists "group:event" per line.
      sed 's/^/tracepoint:/' "$events"
      return
    fi
  done
}

_scry_probes() {
  local cur=$1
  local types="begin end tracepoint: rawtracepoint: kprobe: kretprobe: fentry: fexit: uprobe:
               uretprobe: usdt: profile: interval: software: hardware: watchpoint: iter: self:"
  if [[ $cur == tracepoint:* || $cur == t:* ]]; then
    local full=${cur/#t:/tracepoint:}
    compgen -W "$(_scry_tracepoints)" -- "$full"
  else
    compgen -W "$types" -- "$cur"
  fi
}

_scry() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion -n : || return
  else
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi

  case $prev in
    -f) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur"); return ;;
    -B) mapfile -t COMPREPLY < <(compgen -W "line full none" -- "$cur"); return ;;
    -d | --debug)
      mapfile -t COMPREPLY < <(compgen -W "ast codegen codegen-opt all" -- "$cur")
      return ;;
    --mode) mapfile -t COMPREPLY < <(compgen -W "trace test bench" -- "$cur"); return ;;
    -p | --pid)
      mapfile -t COMPREPLY < <(compgen -W "$(cd /proc && printf '%s\n' [0-9]*)" -- "$cur")
      return ;;
    -c | --cmd) mapfile -t COMPREPLY < <(compgen -c -- "$cur"); return ;;
    -I) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    -o | --output | --include | --emit-elf | --emit-llvm)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    -l | --list | -e)
      mapfile -t COMPREPLY < <(_scry_probes "$cur")
      declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
      [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
      return ;;
  esac

  # After `--` come the program's own parameters.
  local i
  for ((i = 1; i < cword; i++)); do
    [[ ${words[i]} == -- ]] && return
  done

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "-e -d --debug --dry-run --test --bench --mode -c --cmd
      -p --pid -o --output -f -B -q --quiet -v --verbose --no-warnings -I --include -l --list
      --info -b --btf -h --help -V --version -k --warnings --unsafe --usdt-file-activation
      --probe-filter --emit-elf --emit-llvm --" -- "$cur")
    return
  fi
  # The program file.
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _scry scry
# The installed tools take scry's options too (scry-opensnoop -p PID ...).
for _scry_tool in $(compgen -c scry- 2>/dev/null | sort -u); do
  complete -F _scry "$_scry_tool"
done
unset _scry_tool
