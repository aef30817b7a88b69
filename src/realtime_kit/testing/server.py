"""``FakeRealtimeServer``: a faithful Realtime API server on 127.0.0.1 for tests.

It is a Starlette app served by uvicorn on a background thread with its own asyncio loop, so the
caller may be asyncio, trio, or plain synchronous code::

    async with FakeRealtimeServer() as server:        # asyncio or trio
        client = AsyncOpenAI(api_key="sk-test", base_url=server.base_url,
                             websocket_base_url=server.ws_base_url)

    with FakeRealtimeServer() as server:               # synchronous tests
        ...

Imports: anyio, starlette, uvicorn (the ``testing`` extra), the standard library, sibling modules.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import anyio.from_thread

from realtime_kit.errors import (
    ConfigurationError,
    LocalProtocolError,
    MissingExtraError,
    TransportError,
)

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Route, WebSocketRoute
    from starlette.types import Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("testing", exc.name or "starlette") from exc

from realtime_kit.testing._guard import InternalErrors
from realtime_kit.testing._parts import ServerParts
from realtime_kit.testing._rest import RestApi
from realtime_kit.testing._sockets import ConnectionHandle, SocketEndpoints
from realtime_kit.testing._state import CallAnswerer, CallRecord, ServerState
from realtime_kit.testing._wire import IdMaker
from realtime_kit.testing.brain import Brain, ScriptedBrain, ScriptedTranslator, Translator
from realtime_kit.testing.clock import Clock, RealClock
from realtime_kit.testing.config import REALTIME_MODELS, default_realtime_session
from realtime_kit.testing.faults import Faults
from realtime_kit.testing.mcp import FakeMcpServer
from realtime_kit.testing.recording import Recorder
from realtime_kit.testing.speech import (
    Recognizer,
    ScriptedRecognizer,
    SpeechBank,
    Synthesizer,
    default_synthesizer,
)

__all__ = ["FakeRealtimeServer"]

_START_TIMEOUT_S = 10.0


class FakeRealtimeServer:
    """A Realtime API server on loopback, for tests (see ``docs/testing.md``).

    Args:
        port: TCP port on 127.0.0.1; 0 (default) picks a free one.
        api_keys: accept only these standard keys (default: any ``sk-…`` key).
        clock: :class:`~realtime_kit.testing.RealClock` (default) or a
            :class:`~realtime_kit.testing.FakeClock`.
        brain: decides replies and tool calls (default :class:`ScriptedBrain`).
        recognizer: speech in → text (default :class:`ScriptedRecognizer` that knows every clip
            made with :meth:`speak`).
        synthesizer: text → speech (default espeak-ng, else a deterministic tone voice).
        translator: translation sessions' text translation (default :class:`ScriptedTranslator`).
        default_model: the model of sessions opened without one (call sideband, client secrets).
        record_to: write every frame both ways to this JSONL file (secrets redacted).
        seed: seed for ids, so runs are reproducible.
        audio_chunk_ms: length of each output audio delta.
        pace: output audio speed relative to real time on the server clock (0 = unpaced).
        transcription_delay_ms: server-clock delay before input transcripts are delivered.
        mcp_servers: fake MCP servers by ``server_label`` (for ``{"type": "mcp"}`` tools).
        webrtc_answerer: produces SDP answers for ``POST /v1/realtime/calls`` (without one that
            endpoint answers 501 and calls are simulated with :meth:`create_call`).
        webrtc: answer ``POST /v1/realtime/calls`` with a real WebRTC peer (aiortc, the
            ``webrtc`` extra) running the same realtime session as a WebSocket: audio on
            tracks, events on the ``oai-events`` data channel, sideband sockets joining.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        api_keys: Iterable[str] | None = None,
        clock: Clock | None = None,
        brain: Brain | None = None,
        recognizer: Recognizer | None = None,
        synthesizer: Synthesizer | None = None,
        translator: Translator | None = None,
        default_model: str = "gpt-realtime",
        record_to: str | Path | None = None,
        seed: int | None = None,
        audio_chunk_ms: int = 200,
        pace: float = 1.0,
        transcription_delay_ms: int = 0,
        webrtc_answerer: CallAnswerer | None = None,
        webrtc: bool = False,
        mcp_servers: Mapping[str, FakeMcpServer] | None = None,
    ) -> None:
        if default_model not in REALTIME_MODELS:
            raise ConfigurationError(f"unknown realtime model {default_model!r}")
        if audio_chunk_ms <= 0:
            raise ConfigurationError("audio_chunk_ms must be positive")
        self._port = port
        synth = synthesizer if synthesizer is not None else default_synthesizer()
        self.bank = SpeechBank(synth)
        parts = ServerParts(
            clock=clock if clock is not None else RealClock(),
            brain=brain if brain is not None else ScriptedBrain(),
            recognizer=recognizer if recognizer is not None else ScriptedRecognizer(bank=self.bank),
            synthesizer=synth,
            translator=translator if translator is not None else ScriptedTranslator(),
            audio_chunk_ms=audio_chunk_ms,
            pace=pace,
            transcription_delay_ms=transcription_delay_ms,
            mcp_servers=dict(mcp_servers or {}),
        )
        self._record_to = record_to
        self.state = ServerState(
            parts=parts,
            ids=IdMaker(seed),
            faults=Faults(),
            api_keys=frozenset(api_keys) if api_keys is not None else None,
            default_model=default_model,
            answerer=webrtc_answerer,
        )
        self._webrtc: Any = None
        if webrtc:
            if webrtc_answerer is not None:
                raise ConfigurationError("pass webrtc=True or webrtc_answerer=, not both")
            from realtime_kit.testing._webrtc import WebRTCCalls  # needs the webrtc extra

            self._webrtc = WebRTCCalls(self.state, lambda: self._portal)
            self.state.answerer = self._webrtc.answer
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._serving: Future[Any] | None = None
        self._sock: socket.socket | None = None
        self._bound_port: int | None = None

    # parts -------------------------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """Server-wide fault rules (each connection also has its own: ``handle.faults``)."""
        return self.state.faults

    @property
    def clock(self) -> Clock:
        return self.state.parts.clock

    @property
    def brain(self) -> Brain:
        return self.state.parts.brain

    @property
    def recognizer(self) -> Recognizer:
        return self.state.parts.recognizer

    @property
    def internal_errors(self) -> InternalErrors:
        """Failures inside this server (its bugs, or a brain/synthesizer that raised).

        Each was answered as the real service answers its own failures (an ``error`` of type
        ``server_error``, or a response that ends ``failed``) and the session went on. Assert
        ``not server.internal_errors`` in a test to be sure nothing was papered over.
        """
        return self.state.parts.internal_errors

    @property
    def connections(self) -> list[ConnectionHandle]:
        """Every session socket opened so far, in order."""
        with self.state.lock:
            return list(self.state.connections)

    def speak(self, text: str, *, language: str = "en") -> bytes:
        """PCM16 24 kHz speech of ``text``; the default recognizer will hear exactly ``text``."""
        return self.bank.speak(text, language=language)

    # addresses ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound TCP port (kept after :meth:`stop`, for messages and reconnect tests)."""
        if self._bound_port is None:
            raise LocalProtocolError("read the port", "the server has never been started")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` — pass as the OpenAI client's ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ws_base_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1`` — pass as ``websocket_base_url``."""
        return f"ws://127.0.0.1:{self.port}/v1"

    # calls ---------------------------------------------------------------------------------------
    def create_call(
        self, *, accepted: bool = False, session: Mapping[str, Any] | None = None
    ) -> str:
        """Simulate an incoming SIP/WebRTC call; returns its ``rtc_…`` id.

        The call starts ``incoming`` (accept or reject it over REST), or ``accepted`` with the
        given session config when ``accepted=True``.
        """
        call = CallRecord(self.state.ids.new("rtc"))
        if accepted:
            base = default_realtime_session(
                self.state.ids.new("sess"),
                self.state.default_model,
                int(self.clock.wall()) + 3600,
            )
            call.session = {**base, **dict(session or {})}
            call.status = "accepted"
        with self.state.lock:
            self.state.calls[call.id] = call
        return call.id

    def call(self, call_id: str) -> CallRecord:
        """The record of a call (status, refers, reject status)."""
        with self.state.lock:
            return self.state.calls[call_id]

    # app ---------------------------------------------------------------------------------------
    def _app(self) -> Any:
        rest = RestApi(self.state)
        sockets = SocketEndpoints(self.state, lambda: self._portal)
        app = Starlette(
            routes=[
                WebSocketRoute("/v1/realtime", sockets.realtime),
                WebSocketRoute("/v1/realtime/translations", sockets.translation),
                Route("/v1/realtime/client_secrets", rest.client_secrets, methods=["POST"]),
                Route(
                    "/v1/realtime/translations/client_secrets",
                    rest.translation_client_secrets,
                    methods=["POST"],
                ),
                Route("/v1/realtime/calls", rest.create_call, methods=["POST"]),
                Route("/v1/realtime/calls/{call_id}/{action}", rest.call_action, methods=["POST"]),
            ]
        )

        # Browsers call the REST endpoints from other origins (an ephemeral key and the SDP
        # offer, as the API allows); the answer's Location names the call.
        cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["Location"],
        )

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            # Keep uvicorn's own `send`: the drop fault reaches the TCP transport through it.
            scope["realtime_kit.raw_send"] = send
            await cors(scope, receive, send)

        return asgi

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start serving on a background thread (blocking until the port accepts connections).

        After :meth:`stop`, ``start()`` again serves on the same port (minted keys and calls are
        kept; sessions are not — as after a real server restart).
        """
        if self._serving is not None:
            raise LocalProtocolError("start the server", "it is already running")
        if self._record_to is not None:
            self.state.recorder = Recorder(self._record_to)
        # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto is IPPROTO_TCP, and accepted sockets inherit the listener's proto. With proto 0,
        # the second of two quick server events waited for the client's delayed ACK (~40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A restarted server comes back on the same port, so clients can test reconnecting.
        port = self._bound_port if self._bound_port is not None and self._port == 0 else self._port
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(128)
        except OSError:
            # A busy port: leave nothing open behind the error (socket, recording file).
            sock.close()
            if self.state.recorder is not None:
                self.state.recorder.close()
                self.state.recorder = None
            raise
        self._sock = sock
        self._bound_port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app(),
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            ws_max_size=32 * 1024 * 1024,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=2,
        )
        self._uvicorn = uvicorn.Server(config)
        self._portal_cm = anyio.from_thread.start_blocking_portal("asyncio")
        self._portal = self._portal_cm.__enter__()
        self._serving = self._portal.start_task_soon(self._uvicorn.serve, [sock])
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._uvicorn.started:
            if self._serving.done():
                self._serving.result()  # raises the startup error
                raise TransportError("the fake server stopped during startup")
            if time.monotonic() > deadline:
                raise TransportError("the fake server did not start in time")
            time.sleep(0.002)

    def stop(self) -> None:
        """Stop serving and join the background thread (open sockets are closed)."""
        if self._serving is None or self._uvicorn is None or self._portal_cm is None:
            return
        if self._webrtc is not None and self._portal is not None:
            self._portal.call(self._webrtc.aclose)  # hang up calls while the loop still runs
        self._uvicorn.should_exit = True
        try:
            self._serving.result(timeout=_START_TIMEOUT_S)
        finally:
            self._portal_cm.__exit__(None, None, None)
            self._serving = None
            self._portal = None
            self._portal_cm = None
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            if self.state.recorder is not None:
                self.state.recorder.close()

    def __enter__(self) -> FakeRealtimeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeRealtimeServer:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)

    async def wait_for_connections(
        self,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper, like pytest's timeouts
    ) -> list[ConnectionHandle]:
        """Wait (asyncio or trio) until ``count`` sockets have opened sessions; returns them all.

        Raises:
            TimeoutError: fewer than ``count`` connections after ``timeout`` seconds.
        """
        with anyio.fail_after(timeout):
            while True:
                handles = self.connections
                if len(handles) >= count and all(h.wire is not None for h in handles[:count]):
                    return handles
                await anyio.sleep(0.002)

    def __repr__(self) -> str:
        where = self.base_url if self._sock is not None and self._serving else "stopped"
        return f"FakeRealtimeServer({where})"
