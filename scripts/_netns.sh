# Sourced: run_isolated CMD... runs CMD in a fresh network namespace with only loopback up, so
# nothing can leave the machine; falls back to the normal namespace (with a warning) where the
# kernel or the sandbox forbids unprivileged namespaces.
run_isolated() {
  if [ -z "${ORVIBO_NO_NETNS:-}" ] && unshare -rn true 2>/dev/null; then
    # `ip` may be missing on minimal machines: bring lo up with Python instead.
    unshare -rn -- bash -c '
      if command -v ip >/dev/null 2>&1; then ip link set lo up
      else python - <<PY
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ifr = struct.pack("16sH14s", b"lo", 0, b"")
flags = struct.unpack("16sH14s", fcntl.ioctl(s, 0x8913, ifr))[1]  # SIOCGIFFLAGS
fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))  # SIOCSIFFLAGS, IFF_UP
PY
      fi
      exec "$@"' run_isolated "$@"
  else
    echo "warning: no isolated network namespace here; running in the normal one (loopback only by design)" >&2
    "$@"
  fi
}
