#!/usr/bin/env bash
# Set up .venv and run the main job offline: decode a recorded Realtime session and summarise it.
. "$(dirname "$0")/_venv.sh" dev
exec .venv/bin/python examples/summarise_recording.py examples/data/voice_turn.jsonl
