# Sourced by scripts/test, scripts/demo, scripts/bench and scripts/soak: the interpreters and the
# virtual environments, created on first use and reused while their inputs stay the same.
#
# Two legs, each a venv with pytest-homeassistant-custom-component (phacc) and the Home Assistant
# it pins, plus requirements_test.txt:
#   newest  .venv-newest  phacc 0.13.375 / HA 2026.10.4 on Python >= 3.14.2 (found, or built
#                         once per machine by scripts/_python314.sh)
#   oldest  .venv-oldest  the Home Assistant hacs.json names (2025.4.4, phacc 0.13.236) on 3.13
# and the real Home Assistant that the demo and the real-HA tests start (HA_PIN_NEWEST, which
# needs no test plugin; the oldest leg's is its own venv's), in .venv-ha-VERSION with the
# frontend and the requirements of every component Home Assistant loads without default_config.
#
#   bootstrap_leg LEG      create/reuse the leg's venv; sets LEG_VENV, LEG_HA, LEG_PYTHON_VERSION
#   bootstrap_hass VERSION create/reuse a venv that runs that Home Assistant; sets HASS_PYTHON
#   activate_venv DIR      put DIR first on PATH (and the checkout on PYTHONPATH)
#   default_leg            prints "newest" where a Python 3.14 can be had, else "oldest"
#   default_hass           prints the Home Assistant version the demo and benchmarks run by default

_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

HA_PIN_NEWEST="2026.11.0"        # newest Home Assistant on the package index
HA_PIN_NEWEST_TESTED="2026.10.4" # ... that the newest phacc pins
PHACC_PIN_NEWEST="0.13.375"
# phacc's release for each Home Assistant the oldest leg may run (the one hacs.json names).
declare -A PHACC_FOR_HA=([2025.4.4]=0.13.236)

_py_version() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
_version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

source "$_repo/scripts/_python314.sh"

_find_python313() {
  # The newest Python 3.13 here (pyenv's 3.13.0 on these machines); never a venv's own python.
  local c v best="" best_v="0"
  for c in python3.13 /usr/bin/python3.13 /usr/local/bin/python3.13 "$HOME"/.pyenv/versions/3.13.*/bin/python3.13; do
    command -v "$c" >/dev/null 2>&1 || continue
    c="$(command -v "$c")"
    case "$c" in "$_repo"/.venv*) continue ;; esac
    v="$(_py_version "$c")" && [ -n "$v" ] || continue
    if _version_ge "$v" "$best_v" && [ "$v" != "$best_v" ]; then best="$c"; best_v="$v"; fi
  done
  [ -n "$best" ] || { echo "error: the oldest leg needs Python 3.13 (none found; try 'pyenv install 3.13')" >&2; return 1; }
  PY313="$best"; PY313_VERSION="$best_v"
}

# The interpreter a Home Assistant release runs on: PYTHON, PYTHON_VERSION.
_python_for_ha() {
  if _version_ge "$1" "2026.3"; then
    find_python314 || { echo "error: Home Assistant $1 needs Python >= 3.14.2, which cannot be had here" >&2; return 1; }
    PYTHON="$PY314"; PYTHON_VERSION="$PY314_VERSION"
  else
    _find_python313 || return 1
    if _version_ge "$1" "2025.5" && ! _version_ge "$PY313_VERSION" "3.13.2"; then
      echo "error: Home Assistant $1 needs Python >= 3.13.2 (found $PY313_VERSION)" >&2; return 1
    fi
    PYTHON="$PY313"; PYTHON_VERSION="$PY313_VERSION"
  fi
}

_pip() {
  # (the grep drops pip's notes about local wheel mirrors that this machine lacks)
  "$1/bin/python" -m pip install --quiet "${@:2}" 2> >(grep -v "is neither a file nor a directory" >&2)
}

# _make_venv DIR STAMP PIP_ARGS...: (re)create DIR unless its stamp says it holds exactly this.
_make_venv() {
  local venv="$1" stamp="$2"
  shift 2
  [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  echo "Setting up ${venv#"$_repo"/}: $stamp (first run takes a few minutes)" >&2
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv" &&
    _pip "$venv" --upgrade pip &&
    _pip "$venv" "$@" || { echo "error: installing ${venv#"$_repo"/} failed" >&2; return 1; }
  echo "$stamp" > "$venv/.stamp"
}

# The frontend at the version Home Assistant pins, and the requirements of the components it loads
# (scripts/hass_requirements.py): without them the frontend stays on "Loading…" on 2026.x and the
# log fills with missing packages. Recorded in a second stamp, so a change to the list reinstalls.
_complete_hass_venv() {
  local venv="$1" reqs stamp
  reqs="$("$venv/bin/python" "$_repo/scripts/hass_requirements.py")" || {
    echo "error: cannot list the requirements of Home Assistant's default components" >&2; return 1; }
  stamp="$(printf '%s\n' "$reqs" | sha256sum | cut -c1-16)"
  [ "$(cat "$venv/.stamp-hass" 2>/dev/null)" = "$stamp" ] && return 0
  echo "Installing the frontend and the default components' requirements into ${venv#"$_repo"/}" >&2
  # shellcheck disable=SC2086 # one requirement per word
  _pip "$venv" $reqs || { echo "error: installing Home Assistant's default requirements failed" >&2; return 1; }
  echo "$stamp" > "$venv/.stamp-hass"
}

_oldest_ha() {
  "${PYTHON:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["homeassistant"])' "$_repo/hacs.json" 2>/dev/null ||
    sed -n 's/.*"homeassistant": *"\([^"]*\)".*/\1/p' "$_repo/hacs.json"
}

default_leg() {
  if find_python314; then echo newest; else echo oldest; fi
}

# The Home Assistant the demo and the benchmarks run by default: the newest where Python 3.14 can
# be had, else the oldest supported.
default_hass() {
  if [ "$(default_leg)" = newest ]; then echo "$HA_PIN_NEWEST"; else _oldest_ha; fi
}

bootstrap_leg() {
  local leg="$1" phacc req
  req="req=$(sha256sum "$_repo/requirements_test.txt" | cut -c1-16)"
  case "$leg" in
    newest) LEG_HA="$HA_PIN_NEWEST_TESTED"; phacc="$PHACC_PIN_NEWEST" ;;
    oldest)
      LEG_HA="$(_oldest_ha)"
      phacc="${PHACC_FOR_HA[$LEG_HA]:-}"
      [ -n "$phacc" ] || { echo "error: hacs.json names Home Assistant $LEG_HA; scripts/_bootstrap.sh knows no phacc release for it (PHACC_FOR_HA)" >&2; return 1; } ;;
    *) echo "error: unknown leg '$leg' (newest or oldest)" >&2; return 1 ;;
  esac
  _python_for_ha "$LEG_HA" || return 1
  LEG_VENV="$_repo/.venv-$leg"
  LEG_PYTHON_VERSION="$PYTHON_VERSION"
  _make_venv "$LEG_VENV" "$PYTHON $PYTHON_VERSION ha=$LEG_HA phacc=$phacc $req" \
    "homeassistant==$LEG_HA" "pytest-homeassistant-custom-component==$phacc" -r "$_repo/requirements_test.txt" || return 1
  # The oldest leg's real-HA tests start the Home Assistant of its own venv.
  [ "$leg" = newest ] || _complete_hass_venv "$LEG_VENV"
}

bootstrap_hass() {
  local version="$1" venv
  # The oldest leg's venv already runs that release: share it rather than install it twice.
  if [ "$version" = "$(_oldest_ha)" ] && bootstrap_leg oldest; then
    HASS_PYTHON="$LEG_VENV/bin/python"; HASS_VERSION="$version"; return 0
  fi
  _python_for_ha "$version" || return 1
  venv="$_repo/.venv-ha-$version"
  _make_venv "$venv" "$PYTHON $PYTHON_VERSION ha=$version" "homeassistant==$version" &&
    _complete_hass_venv "$venv" || return 1
  HASS_PYTHON="$venv/bin/python"; HASS_VERSION="$version"
}

activate_venv() {
  export VIRTUAL_ENV="$1"
  export PATH="$1/bin:$PATH"
  export PYTHONPATH="$_repo${PYTHONPATH:+:$PYTHONPATH}"
}
