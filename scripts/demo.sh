#!/usr/bin/env bash
# Set up .venv and run the main job offline: live captions of the bundled sample WAV (real
# synthesized speech), against the embedded fake Realtime server — segments, timings and cost.
. "$(dirname "$0")/_venv.sh" cli,testing
exec .venv/bin/realtime-kit transcribe examples/data/sample.wav --offline "$@"
