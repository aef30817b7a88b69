# Sourced by the other scripts: make .venv (once) and install the project into it.
# Usage: . scripts/_venv.sh EXTRAS   (EXTRAS like "dev" or "cli,testing")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]"
