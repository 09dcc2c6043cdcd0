# Sourced by scripts/test: Debian's Chromium for the browser test (tests/browser), never a download.
#
# Uses a chromium already on PATH (or ORVIBO_S20_CHROMIUM); else, as root with apt-get, installs
# Debian's `chromium` (and a font for readable screenshots). Without either the browser test is
# skipped, unless ORVIBO_S20_REQUIRE_BROWSER is set (CI), where it fails instead.

_find_chromium() { command -v "${ORVIBO_S20_CHROMIUM:-chromium}" 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if ! _chromium="$(_find_chromium)" && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test (apt-get)" >&2
  _apt() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation; }
  # The package lists of a fresh machine may be stale: update them only when the install needs it.
  if ! _apt >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    _apt >/dev/null 2>&1 || echo "warning: could not install chromium; the browser test will not run" >&2
  fi
  _chromium="$(_find_chromium)" || true
fi
if [ -n "${_chromium:-}" ]; then
  export ORVIBO_S20_CHROMIUM="$_chromium"
fi
