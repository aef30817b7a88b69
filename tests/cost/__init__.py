"""Tests of realtime_kit.cost."""
