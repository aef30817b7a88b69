# Sourced by the other scripts: make .venv (once) and install the project into it.
# Usage: . scripts/_venv.sh EXTRAS   (EXTRAS like "dev" or "cli,testing")
#
# The install is editable, so source changes need no reinstall; only pyproject.toml (dependencies,
# entry points, version), the extras asked for, the checkout's location or the interpreter can
# make it stale. A stamp in .venv keyed on those is written after a successful install, and the
# install is skipped while it matches. REALTIME_KIT_REINSTALL=1 forces a reinstall.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.realtime_kit-installed-${1//,/-}"
key="$(.venv/bin/python -c '
import hashlib, os, sys
digest = hashlib.sha256(open("pyproject.toml", "rb").read())
digest.update("\0".join([sys.argv[1], os.getcwd(), sys.version]).encode())
print(digest.hexdigest())
' "$1")"
if [ "${REALTIME_KIT_REINSTALL:-0}" = "1" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$key" ]; then
  rm -f "$stamp"  # an interrupted install must not look done
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]"
  printf '%s\n' "$key" > "$stamp"
fi
