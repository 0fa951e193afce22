#!/usr/bin/env bash
# Prepares this machine for TJV Desktop: system packages when missing, the virtual environment, the
# Node harness of the Realtime conformance tests. Safe to run again; does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have_pg_server() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null
}
have_pg_server || need_apt+=(postgresql postgresql-contrib)
# pg_cron, preloaded by the sandbox as every Supabase project has it (the escalation job).
pg_major=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
compgen -G "/usr/lib/postgresql/*/lib/pg_cron.so" >/dev/null || need_apt+=("postgresql-${pg_major:-15}-cron")
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
# Qt's offscreen and xcb platforms, fonts, a virtual X server for real-window screenshots, and a
# Secret Service (gnome-keyring on a private D-Bus) so tests use a real keyring backend.
# QtMultimedia links libpulse (alarm tones); the tests record them from a private PulseAudio server
# with a null sink (pulseaudio, parec from pulseaudio-utils). poppler-utils' pdftoppm renders the
# handoff PDF's pages to PNG in its test. The installers (packaging/README.md):
# binutils for PyInstaller and the Debian package's dependencies (objdump), msitools and wixl for the MSI.
for pkg in libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core \
           libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
           libxcb-render-util0 libxcb-image0 xvfb \
           gnome-keyring dbus-daemon \
           libpulse0 pulseaudio pulseaudio-utils binutils msitools wixl poppler-utils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's postgresql package starts a system cluster we do not use; the sandbox runs its own.
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
  "$PY" -m venv .venv
fi
stamp=.venv/.tjv-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[sandbox,test,packaging]'
  echo "$want" > "$stamp"
fi

if [ -f tests/js/package-lock.json ]; then
  lock=$(sha256sum tests/js/package-lock.json | cut -d' ' -f1)
  if [ ! -f tests/js/node_modules/.tjv-installed ] || [ "$(cat tests/js/node_modules/.tjv-installed)" != "$lock" ]; then
    echo "bootstrap: installing the Node harness (tests/js)"
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock" > tests/js/node_modules/.tjv-installed
  fi
fi

# The compiled translations (.qm) are generated, not committed: compile any missing or older than its
# Qt Linguist source. `make translations` also refreshes the sources from the code (i18n/README.md).
for ts in i18n/*.ts; do
  [ -f "$ts" ] || continue
  qm=${ts%.ts}.qm
  if [ ! -f "$qm" ] || [ "$ts" -nt "$qm" ]; then
    .venv/bin/pyside6-lrelease -silent "$ts" -qm "$qm"
  fi
done
