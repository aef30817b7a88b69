"""realtime_kit.testing — a fake Realtime API server and test kit (extra ``testing``).

The public names:

* :class:`FakeRealtimeServer` — the server (WebSocket sessions of all three kinds, REST client
  secrets and call control) on 127.0.0.1; :class:`ConnectionHandle` — a test's view of one socket;
  :class:`ReplayServer` — a recording played back as a server.
* Clocks: :class:`RealClock`, :class:`FakeClock`.
* Brains: :class:`ScriptedBrain`, :class:`Reply`, :class:`ToolCall`, :class:`TurnContext`,
  the :class:`Brain` protocol; translators: :class:`ScriptedTranslator`, :class:`TextTranslator`,
  :class:`TranslationTiming`.
* Speech: :class:`EspeakSynthesizer`, :class:`ToneSynthesizer`, :class:`ScriptedRecognizer`,
  :class:`PocketsphinxRecognizer` (needs ``pocketsphinx``),
  :class:`SpeechBank`, the :class:`Synthesizer` / :class:`Recognizer` protocols.
* :func:`check_transport` — the transport conformance suite, with :func:`loopback_websocket_pair`
  (a :class:`TransportPeer` on 127.0.0.1) to run it on the WebSocket transport.
* :class:`Faults` — fault injection; :class:`InternalErrors` — the server's record of its own
  failures (``server.internal_errors``); :class:`ServerVad` — the VAD; :class:`Recorder`,
  :func:`load_recording`, :func:`redact` — recordings.
* Simulated callers: :class:`SimulatedUser` (speaks, listens, barges in) with its
  :class:`SimulatedListener`; scenarios: :class:`Scenario`, :func:`run_scenario` →
  :class:`ScenarioReport`, judged by :class:`RuleJudge` or your own judge (:class:`JudgeVerdict`,
  :class:`ExpectationResult`).

Nothing in the library imports this package. It may import anything public in realtime_kit, plus
starlette, uvicorn, espeakng-loader, webrtcvad, soxr (the ``testing`` extra).
"""

from __future__ import annotations

from realtime_kit.testing._guard import InternalErrors
from realtime_kit.testing._sockets import ConnectionHandle
from realtime_kit.testing._state import CallRecord, ClientSecret
from realtime_kit.testing.asr import PocketsphinxRecognizer
from realtime_kit.testing.brain import (
    Brain,
    Reply,
    ScriptedBrain,
    ScriptedTranslator,
    TextTranslator,
    ToolCall,
    TranslationTiming,
    TurnContext,
)
from realtime_kit.testing.clock import Clock, FakeClock, RealClock
from realtime_kit.testing.faults import Faults
from realtime_kit.testing.judge import ExpectationResult, JudgeVerdict, RuleJudge
from realtime_kit.testing.listener import SimulatedListener
from realtime_kit.testing.mcp import FakeMcpServer, McpToolError
from realtime_kit.testing.recording import Recorder, load_recording, redact
from realtime_kit.testing.replay import ReplayServer
from realtime_kit.testing.runner import ScenarioReport, TurnReport, run_scenario
from realtime_kit.testing.scenario import Scenario
from realtime_kit.testing.server import FakeRealtimeServer
from realtime_kit.testing.speech import (
    EspeakSynthesizer,
    Recognizer,
    ScriptedRecognizer,
    SpeechBank,
    Synthesizer,
    ToneSynthesizer,
    default_synthesizer,
)
from realtime_kit.testing.transport_check import (
    LoopbackWebSocketPeer,
    TransportPeer,
    check_transport,
    loopback_websocket_pair,
)
from realtime_kit.testing.user import AgentReply, Silence, SimulatedUser, SpokenTurn
from realtime_kit.testing.vad import ServerVad, VadEvent

__all__ = [
    "AgentReply",
    "Brain",
    "CallRecord",
    "ClientSecret",
    "Clock",
    "ConnectionHandle",
    "EspeakSynthesizer",
    "ExpectationResult",
    "FakeClock",
    "FakeMcpServer",
    "FakeRealtimeServer",
    "Faults",
    "InternalErrors",
    "JudgeVerdict",
    "LoopbackWebSocketPeer",
    "McpToolError",
    "PocketsphinxRecognizer",
    "RealClock",
    "Recognizer",
    "Recorder",
    "ReplayServer",
    "Reply",
    "RuleJudge",
    "Scenario",
    "ScenarioReport",
    "ScriptedBrain",
    "ScriptedRecognizer",
    "ScriptedTranslator",
    "ServerVad",
    "Silence",
    "SimulatedListener",
    "SimulatedUser",
    "SpeechBank",
    "SpokenTurn",
    "Synthesizer",
    "TextTranslator",
    "ToneSynthesizer",
    "ToolCall",
    "TranslationTiming",
    "TransportPeer",
    "TurnContext",
    "TurnReport",
    "VadEvent",
    "check_transport",
    "default_synthesizer",
    "load_recording",
    "loopback_websocket_pair",
    "redact",
    "run_scenario",
]
