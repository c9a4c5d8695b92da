#!/bin/sh
# in-container.sh ROOT FILE... -- COMMAND [ARG...]
#
# Runs COMMAND in a minimal container, for the runtime tests of -p on a process in its own mount
# namespace and root (tests/runtime/*container*.test); needs root, unshare and pivot_root
# (util-linux). In a new mount namespace (private propagation: nothing mounted here is seen
# outside, and it all goes when the process ends) the empty directory ROOT becomes a tmpfs
# holding /app (a copy of each FILE), /usr, /lib and /lib64 (bind-mounted read-only, or symbolic
# links where the host's are) and /proc; pivot_root makes it the root and the old root is
# unmounted. So, as in a container, /app exists only inside, the process's /proc/PID/maps names
# /app/..., and scry outside reaches those files only through /proc/PID/root or
# /proc/PID/map_files. COMMAND runs with LD_LIBRARY_PATH=/app and is killed when this script's
# process (unshare) is.
set -e
if [ -z "$SCRY_IN_CONTAINER" ]; then
  SCRY_IN_CONTAINER=1 exec unshare --mount --propagation private --kill-child sh "$0" "$@"
fi
unset SCRY_IN_CONTAINER
root=$1
shift
mount -t tmpfs scry-container "$root"
mkdir "$root/app" "$root/usr" "$root/proc" "$root/old"
while [ "$1" != "--" ]; do
  cp "$1" "$root/app/"
  shift
done
shift
mount --bind -o ro /usr "$root/usr"
for dir in lib lib64; do
  if [ -L "/$dir" ]; then
    ln -s "$(readlink "/$dir")" "$root/$dir"
  elif [ -d "/$dir" ]; then
    mkdir "$root/$dir"
    mount --bind -o ro "/$dir" "$root/$dir"
  fi
done
mount -t proc proc "$root/proc"
cd "$root"
pivot_root . old
umount -l /old
rmdir /old
LD_LIBRARY_PATH=/app exec "$@"
