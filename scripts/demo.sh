#!/usr/bin/env bash
# Set up .venv and run the main job offline: a phone-style call with a voice agent (a tool call,
# a two-sided transcript, the cost of every turn), against the embedded fake Realtime server.
. "$(dirname "$0")/_venv.sh" cli,testing
exec .venv/bin/realtime-kit talk examples/data/caller.wav --offline "$@"
