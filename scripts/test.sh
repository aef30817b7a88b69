#!/usr/bin/env bash
# Set up .venv with the dev extra and run the whole test suite.
. "$(dirname "$0")/_venv.sh" dev
exec .venv/bin/python -m pytest "$@"
