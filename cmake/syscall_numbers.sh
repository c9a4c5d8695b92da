#!/bin/sh
# Writes the system call numbers of the build machine's architecture as C++ initializers,
# one `{"name", number},` per line, sorted by name, from <sys/syscall.h> (which includes the
# kernel's asm/unistd_64.h on x86_64). Used by src/sema/tracepoint_attach.cpp to find the number
# behind a syscalls:sys_enter_NAME tracepoint. Numbers are kernel ABI: they never change.
#
#   cmake/syscall_numbers.sh C_COMPILER OUTPUT
set -eu
cc=$1
out=$2
printf '#include <sys/syscall.h>\n' | "$cc" -dM -E -x c - |
  sed -n 's/^#define __NR_\([A-Za-z0-9_]*\) \([0-9][0-9]*\)$/{"\1", \2},/p' |
  LC_ALL=C sort >"$out.tmp"
[ -s "$out.tmp" ] || { echo "syscall_numbers.sh: no __NR_ definitions from $cc" >&2; exit 1; }
mv "$out.tmp" "$out"
