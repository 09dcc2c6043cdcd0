# Sourced by scripts/test, scripts/demo, scripts/bench: create or reuse .venv with Home Assistant.
#
# Picks the newest usable interpreter: a Python >= 3.13.2 runs HA 2026.2.3 (phacc 0.13.316);
# pyenv's 3.13.0 (on these machines) runs HA 2025.4.4 (phacc 0.13.236), the newest it can.
# The venv is rebuilt only when the interpreter, the pins or requirements_test.txt change.

_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_venv="$_repo/.venv"

_py_version() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
_version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

_pick_python() {
  local candidates=() c v best="" best_v="0"
  for c in python3.13 /usr/bin/python3.13 /usr/local/bin/python3.13 "$HOME"/.pyenv/versions/3.13.*/bin/python3.13; do
    if command -v "$c" >/dev/null 2>&1; then candidates+=("$(command -v "$c")"); fi
  done
  for c in "${candidates[@]}"; do
    # Sourced again with .venv already on PATH (scripts/demo from the tests): the venv's own
    # python must not count, or the stamp changes and the venv is rebuilt under its users.
    case "$c" in "$_venv"/*) continue ;; esac
    v="$(_py_version "$c")" || continue
    [ -n "$v" ] || continue
    _version_ge "$v" "3.13.0" || continue
    if _version_ge "$v" "$best_v" && [ "$v" != "$best_v" ]; then best="$c"; best_v="$v"; fi
  done
  [ -n "$best" ] || { echo "error: Home Assistant needs Python >= 3.13 (none found; try 'pyenv install 3.13')" >&2; return 1; }
  PYTHON="$best"; PYTHON_VERSION="$best_v"
}

_pick_python || { return 1 2>/dev/null || exit 1; }
if _version_ge "$PYTHON_VERSION" "3.13.2"; then
  HA_VERSION="2026.2.3"; PHACC_VERSION="0.13.316"
else
  HA_VERSION="2025.4.4"; PHACC_VERSION="0.13.236"
fi

_stamp="$PYTHON $PYTHON_VERSION ha=$HA_VERSION phacc=$PHACC_VERSION req=$(sha256sum "$_repo/requirements_test.txt" | cut -c1-16)"
if [ ! -x "$_venv/bin/python" ] || [ "$(cat "$_venv/.stamp" 2>/dev/null)" != "$_stamp" ]; then
  echo "Setting up .venv: Python $PYTHON_VERSION, Home Assistant $HA_VERSION (first run takes a few minutes)" >&2
  rm -rf "$_venv"
  "$PYTHON" -m venv "$_venv"
  # (the grep drops pip's notes about local wheel mirrors that this machine lacks)
  if ! { "$_venv/bin/python" -m pip install --quiet --upgrade pip &&
         "$_venv/bin/python" -m pip install --quiet \
           "homeassistant==$HA_VERSION" \
           "pytest-homeassistant-custom-component==$PHACC_VERSION" \
           -r "$_repo/requirements_test.txt"; } 2>&1 | { grep -v "is neither a file nor a directory" >&2 || true; }
  then
    echo "error: installing the environment into .venv failed" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "$_stamp" > "$_venv/.stamp"
fi
# The frontend, at the version this Home Assistant pins: the demo's UI, and without it Home
# Assistant boots in recovery mode (which loads cloud), so the e2e test needs it too.
if ! "$_venv/bin/python" -c 'import hass_frontend' 2>/dev/null; then
  _frontend="$("$_venv/bin/python" -c 'import json, pathlib, homeassistant.components.frontend as f
print(next(r for r in json.loads((pathlib.Path(f.__file__).parent / "manifest.json").read_text())["requirements"]
           if r.startswith("home-assistant-frontend==")))')"
  echo "Installing $_frontend into .venv" >&2
  if ! { "$_venv/bin/python" -m pip install --quiet "$_frontend" 2>&1 |
         { grep -v "is neither a file nor a directory" >&2 || true; }; } ||
     ! "$_venv/bin/python" -c 'import hass_frontend' 2>/dev/null; then
    echo "error: installing $_frontend into .venv failed" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export VIRTUAL_ENV="$_venv"
export PATH="$_venv/bin:$PATH"
export PYTHONPATH="$_repo${PYTHONPATH:+:$PYTHONPATH}"
echo "Using Python $PYTHON_VERSION, Home Assistant $HA_VERSION (.venv)" >&2
