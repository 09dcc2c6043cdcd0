# Sourced by scripts/_bootstrap.sh: find a Python >= 3.14.2, or build one once per machine.
#
# Home Assistant since 2026.3 needs Python >= 3.14.2. Debian 12 packages none and pyenv or uv
# would download one from the internet; but the Debian archive apt uses serves the upstream
# tarball of Debian's own python3.14 source package. Its unstable index may name newer versions
# whose files it does not serve yet, so every named version is tried, newest first, then the
# one known to be served; each is checked against the archive's SHA-256. The build lands in
# ORVIBO_S20_CACHE (default ~/.cache/orvibo_s20), outside the checkout, and is reused.
#
# find_python314 sets PY314 and PY314_VERSION, or returns 1 after one line saying why not.

_py314_mirror() {
  # The archive apt uses, from deb822 or one-line sources; deb.debian.org otherwise.
  local uri
  uri="$(grep -rhoE '^(URIs: *|deb +)https?://[^ ]*debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null |
         grep -oE 'https?://[^ ]*' | grep -v security | head -n1)"
  echo "${ORVIBO_S20_DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}" | sed 's:/*$::'
}

# The version known to be served (checked 2026-12-07) and its SHA-256.
_PY314_KNOWN="3.14.7 3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81"

_py314_candidates() {
  # "VERSION SHA256" lines, newest first: what the unstable source index names, then the known one.
  local mirror="$1"
  { curl -fsS --max-time 60 "$mirror/dists/unstable/main/source/Sources.xz" 2>/dev/null | xz -dc 2>/dev/null |
      awk '/^Package: /{p = ($2 == "python3.14")} p && /^Checksums-Sha256:/{c=1; next} p && c && /^ /{
             if ($3 ~ /^python3\.14_3\.14\.[0-9]+\.orig\.tar\.xz$/) { v=$3; sub(/^python3\.14_/, "", v); sub(/\.orig\.tar\.xz$/, "", v); print v, $1 }
             next} {c=0}'
    echo "$_PY314_KNOWN"; } | sort -u -k1,1V | sort -rV | awk '!seen[$1]++'
}

_py314_usable() {
  local v
  v="$("$1" -c 'import sys, ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)" || return 1
  _version_ge "$v" "3.14.2" || return 1
  PY314="$1"; PY314_VERSION="$v"
}

find_python314() {
  local c cache
  cache="${ORVIBO_S20_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orvibo_s20}"
  for c in "${ORVIBO_S20_PYTHON314:-}" python3.14 /usr/local/bin/python3.14 "$cache"/python-3.14.*/bin/python3.14 \
           "$HOME"/.pyenv/versions/3.14.*/bin/python3.14; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    _py314_usable "$(command -v "$c")" && return 0
  done
  if [ -n "${ORVIBO_S20_NO_BUILD:-}" ]; then
    echo "note: no Python >= 3.14.2 here and ORVIBO_S20_NO_BUILD is set: going on with Python 3.13 and the oldest leg" >&2
    return 1
  fi
  _build_python314 "$cache"
}

_build_python314() {
  local cache="$1" mirror version sha tarball src prefix log
  for c in cc make xz curl; do
    command -v "$c" >/dev/null 2>&1 || {
      echo "note: cannot build Python 3.14 ($c missing): going on with Python 3.13 and the oldest leg" >&2; return 1; }
  done
  # The headers the standard library's ssl, sqlite3, ctypes, lzma, bz2, zlib, readline and uuid need.
  local pkgs=(libssl-dev libsqlite3-dev libffi-dev liblzma-dev libbz2-dev zlib1g-dev libreadline-dev uuid-dev pkg-config)
  if ! dpkg -s "${pkgs[@]}" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing the headers Python 3.14 needs (apt-get)" >&2
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" ||
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"; }
      } >/dev/null 2>&1 || {
        echo "note: cannot install the build headers for Python 3.14: going on with Python 3.13 and the oldest leg" >&2; return 1; }
    else
      echo "note: Python 3.14 needs ${pkgs[*]} to build (run as root, or install them): going on with Python 3.13 and the oldest leg" >&2
      return 1
    fi
  fi
  mirror="$(_py314_mirror)"
  mkdir -p "$cache"
  while read -r version sha; do
    tarball="$cache/python3.14_$version.orig.tar.xz"
    [ -s "$tarball" ] && break
    if curl -fsS --max-time 600 -o "$tarball.part" "$mirror/pool/main/p/python3.14/python3.14_$version.orig.tar.xz" 2>/dev/null; then
      if [ "$(sha256sum "$tarball.part" | cut -d' ' -f1)" = "$sha" ]; then mv "$tarball.part" "$tarball"; break; fi
      echo "warning: python3.14_$version.orig.tar.xz does not match the archive's SHA-256; not used" >&2
    fi
    rm -f "$tarball.part"
  done < <(_py314_candidates "$mirror")
  if [ ! -s "${tarball:-}" ]; then
    echo "note: $mirror serves no python3.14 source tarball: going on with Python 3.13 and the oldest leg" >&2
    return 1
  fi
  prefix="$cache/python-$version"
  src="$cache/build-$version"
  log="$cache/build-$version.log"
  echo "Building Python $version once for this machine into $prefix (a few minutes on two cores; log: $log)" >&2
  rm -rf "$src" "$prefix" && mkdir -p "$src" &&
  tar -xJf "$tarball" -C "$src" --strip-components=1 &&
  if ( cd "$src" && ./configure --prefix="$prefix" --with-ensurepip=install &&
       make -j"$(nproc)" && make install ) >"$log" 2>&1 && _py314_usable "$prefix/bin/python3.14"; then
    rm -rf "$src"
    echo "Built Python $PY314_VERSION ($PY314)" >&2
    return 0
  fi
  echo "note: building Python $version failed (see $log): going on with Python 3.13 and the oldest leg" >&2
  rm -rf "$prefix"
  return 1
}
