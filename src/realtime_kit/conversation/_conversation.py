"""``realtime_kit.Conversation``: a voice agent on gpt-realtime-2 in one object.

Four kinds of task run in a task group the ``async with`` block owns:

* the **driver** reads the connection (``async for event in conn``), meters each event, feeds the
  :class:`~realtime_kit.conversation._engine.ConversationEngine`, then sends what the engine and
  the response scheduler want sent and hands the engine's events to the app;
* the **player** moves assistant audio from the engine's play queue to the playback sink (a
  speaker may make it wait; the driver never does);
* one task per **tool call** (the tools never block audio or barge-in);
* a **ticker** that wakes only while assistant words are held back for a late user transcript.

Sends from all of them go through one lock, in order. The session config, tools and history
survive reconnects and rollovers: the connection re-applies the config and replays the history;
the conversation re-anchors the model, re-sends tool outputs that were still running, and
reports it as a :class:`~realtime_kit.conversation.Reconnected` event.

Imports: anyio, the standard library, ``errors``, ``events``, ``audio``, ``cost``,
``connection``, ``factory``, ``reconnect`` and sibling modules. Never a concrete transport.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import anyio
import numpy as np

from realtime_kit.audio import PCMFrame, PlaybackClock
from realtime_kit.client import (
    RealtimeConnection,
    ReconnectPolicy,
    RolloverPolicy,
    TransportOpener,
    connect,
)
from realtime_kit.conversation._calls import ToolCallRequest
from realtime_kit.conversation._engine import ConversationEngine, EngineSettings
from realtime_kit.conversation._events import (
    AssistantAudio,
    ConversationEvent,
)
from realtime_kit.conversation._log import ConversationLog, MessageEntry
from realtime_kit.conversation._options import (
    DEFAULT_INPUT_TRANSCRIPTION,
    AudioFormat,
    TurnDetection,
    build_session,
    merge_session,
    turn_detection_payload,
)
from realtime_kit.conversation._playout import AppPlayback, InputConverter, PlaybackSink
from realtime_kit.conversation._runtime import ConversationRuntime, HangupError, create_item
from realtime_kit.conversation._streams import AudioStream, EventStream, ResponseHandle
from realtime_kit.conversation._toolset import ToolSet
from realtime_kit.cost import Budget, CostMeter
from realtime_kit.errors import (
    ConfigurationError,
    LocalProtocolError,
)
from realtime_kit.events import (
    InputAudioBufferClearEvent,
    InputAudioBufferCommitEvent,
)

if TYPE_CHECKING:
    from realtime_kit.transports import WebRTCConfig

__all__ = ["Conversation"]

_log = logging.getLogger("realtime_kit.conversation")

E = TypeVar("E")
Handler = Callable[[E], Awaitable[None] | None]

_DEFAULT_REANCHOR = (
    "The connection was briefly interrupted and has been restored. Continue the conversation from"
    " where it left off; do not greet the user again or repeat what you already said."
)
_DEFAULT_WRAP_UP = (
    "The time for this call is nearly over. Politely wrap up now: briefly summarise, thank the"
    " user and say goodbye."
)
_EVENT_BUFFER = 10_000


class Conversation(ConversationRuntime):
    """A voice agent: audio in, audio and events out, tools, barge-in, the ordered log, cost.

    ``async with Conversation("gpt-realtime-2", instructions=..., tools=[...]) as conv:`` opens
    a session (or, with ``connection=``, drives one you opened). See ``docs/conversation.md``.

    Args:
        model: the realtime model (``gpt-realtime-2`` by default).
        connection: drive this already open connection instead of opening one (its session is
            updated with the options given here).
        instructions: the agent's instructions (the session option of that name; so are the
            next ones, PROTOCOL.md §2.1).
        voice: ``marin``, ``cedar``… or a custom voice ``{"id": "voice_…"}``.
        speed: 0.25…1.5.
        tools: plain Python functions (sync or async), :class:`Tool` objects, MCP tool dicts.
        tool_choice: ``"auto"``, ``"none"``, ``"required"``, a tool name, or a mapping.
        parallel_tool_calls: let the model call several tools at once (reasoning models).
        turn_detection: ``"server_vad"`` (default), ``"semantic_vad"``, a
            :class:`TurnDetection`, or None for push-to-talk (:meth:`start_turn`/:meth:`end_turn`).
        input_transcription: the model that transcribes the user (default
            ``gpt-4o-mini-transcribe``), a mapping, or None (then spoken user turns have no text
            and cannot be replayed after a reconnect).
        noise_reduction: ``"near_field"``, ``"far_field"``, a mapping or None.
        reasoning_effort: ``minimal`` … ``xhigh`` (reasoning models).
        max_output_tokens: a positive int or ``"inf"``.
        truncation: ``"auto"``, ``"disabled"``, or a ``retention_ratio`` mapping.
        prompt: a stored prompt reference ``{"id": ..., "version": ..., "variables": ...}``.
        tracing: ``"auto"`` or a tracing mapping.
        include: extra fields the server should include.
        output_modalities: ``["audio"]`` (default) or ``["text"]``.
        audio_format: the wire format: ``"pcm16"`` (24 kHz) or G.711 ``"pcmu"``/``"pcma"``.
        input_rate: the rate of audio given to :meth:`send_audio` as bytes or arrays
            (:class:`~realtime_kit.audio.PCMFrame` carries its own rate).
        output_rate: the rate of the assistant audio handed out.
        playback: where assistant audio is played: a :class:`PlaybackSink` (a
            :class:`~realtime_kit.audio.Speaker`, the testing kit's simulated listener, a
            telephony bridge), ``"wall_clock"`` (default: :meth:`audio` hands it to you and
            playback is assumed to run in real time — barge-in positions are flagged
            ``estimated``), or ``"reported"`` (you report what you played with
            :meth:`played`).
        audio_output: False to ignore assistant audio (transcripts only; no decoding cost).
        history: a :class:`ConversationLog` (or its JSON dict) to seed the new session with.
        meter: the cost meter (one is created by default).
        budget: a dollar budget for the default meter: warn → wrap up (the model is asked to
            close politely) → hard stop (the call ends).
        tool_timeout: default seconds per tool call (a tool may set its own).
        approve: ``async (ToolCallRequest) -> bool`` asked before a tool that needs approval.
        transcript_hold_s: how long the assistant's words wait for a late user transcript.
        reanchor: the system note added after a reconnect (None: none).
        wrap_up_instructions: what the model is told when the budget says wrap up.
        idle_hangup_after: end the call after this many consecutive user-idle timeouts.
        session: extra session fields, merged last (for options without a keyword here).
        reconnect: as for :func:`realtime_kit.connect` (on by default).
        rollover: as for :func:`realtime_kit.connect` (on by default).
        call_id: drive the sideband of a SIP/WebRTC call (the server plays the audio).
        api_key: as for :func:`realtime_kit.connect` (so are the next ones).
        base_url: the API base URL.
        organization: sent as ``OpenAI-Organization``.
        project: sent as ``OpenAI-Project``.
        safety_identifier: sent as ``OpenAI-Safety-Identifier``.
        transport: ``"websocket"`` (default), ``"webrtc"`` (audio on media tracks: the server
            plays it out and cuts it on barge-in; asyncio only), or a custom opener.
        open_timeout: seconds to open the session.
        clock: wall-clock seconds, compared with ``expires_at`` for the rollover.
        webrtc: settings of ``transport="webrtc"`` (ICE servers, local addresses, audio rate).
        now: monotonic seconds for latencies and the wall-clock playback (default
            ``time.monotonic``).
    """

    def __init__(
        self,
        model: str = "gpt-realtime-2",
        *,
        connection: RealtimeConnection | None = None,
        instructions: str | None = None,
        voice: str | Mapping[str, Any] | None = None,
        speed: float | None = None,
        tools: Sequence[Any] = (),
        tool_choice: str | Mapping[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        turn_detection: TurnDetection
        | Literal["server_vad", "semantic_vad"]
        | Mapping[str, Any]
        | None = "server_vad",
        input_transcription: str | Mapping[str, Any] | None = DEFAULT_INPUT_TRANSCRIPTION,
        noise_reduction: str | Mapping[str, Any] | None = None,
        reasoning_effort: str | None = None,
        max_output_tokens: int | Literal["inf"] | None = None,
        truncation: str | Mapping[str, Any] | None = None,
        prompt: Mapping[str, Any] | None = None,
        tracing: str | Mapping[str, Any] | None = None,
        include: Sequence[str] | None = None,
        output_modalities: Sequence[str] | None = None,
        audio_format: AudioFormat = "pcm16",
        input_rate: int = 24000,
        output_rate: int = 24000,
        playback: PlaybackSink | Literal["wall_clock", "reported"] = "wall_clock",
        audio_output: bool = True,
        history: ConversationLog | Mapping[str, Any] | None = None,
        meter: CostMeter | None = None,
        budget: Budget | None = None,
        tool_timeout: float | None = 30.0,
        approve: Callable[[ToolCallRequest], Awaitable[bool]] | None = None,
        transcript_hold_s: float = 2.0,
        reanchor: str | None = _DEFAULT_REANCHOR,
        wrap_up_instructions: str = _DEFAULT_WRAP_UP,
        idle_hangup_after: int | None = None,
        session: Mapping[str, Any] | None = None,
        reconnect: ReconnectPolicy | bool = True,
        rollover: RolloverPolicy | bool = True,
        call_id: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        safety_identifier: str | None = None,
        transport: Literal["websocket", "webrtc"] | TransportOpener | None = None,
        webrtc: WebRTCConfig | None = None,
        open_timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tools = ToolSet(list(tools), default_timeout=tool_timeout)
        self._session_config = build_session(
            model=None if call_id is not None or connection is not None else model,
            instructions=instructions,
            voice=voice,
            speed=speed,
            output_modalities=output_modalities,
            audio_format=audio_format,
            turn_detection=turn_detection,
            input_transcription=input_transcription,
            noise_reduction=noise_reduction,
            tools=self._tools.definitions or None,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            max_output_tokens=max_output_tokens,
            truncation=truncation,
            prompt=prompt,
            tracing=tracing,
            include=include,
            extra=session,
        )
        if input_rate <= 0 or output_rate <= 0:
            raise ConfigurationError("input_rate and output_rate must be positive")
        if isinstance(history, Mapping):
            history = ConversationLog.from_dict(history)
        if idle_hangup_after is not None and idle_hangup_after < 1:
            raise ConfigurationError("idle_hangup_after must be at least 1")
        self._model = model
        self._connection = connection
        self._audio_format: AudioFormat = audio_format
        self._input_rate = input_rate
        self._output_rate = output_rate
        self._playback_arg = playback
        self._audio_output = audio_output and (
            output_modalities is None or list(output_modalities) == ["audio"]
        )
        self._history = history
        self._approve = approve
        self._transcript_hold_s = transcript_hold_s
        self._reanchor = reanchor
        self._wrap_up_instructions = wrap_up_instructions
        self._idle_hangup_after = idle_hangup_after
        self._call_id = call_id
        self._media = False  # audio on media tracks (WebRTC); known once the session is open
        self._connect_args: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "organization": organization,
            "project": project,
            "safety_identifier": safety_identifier,
            "reconnect": reconnect,
            "rollover": rollover,
            "transport": transport,
            "webrtc": webrtc,
            "open_timeout": open_timeout,
            "clock": clock,
        }
        self._now = now
        if meter is None:
            meter = CostMeter(model, budget=budget, strict=budget is not None)
        elif budget is not None:
            raise ConfigurationError(
                "pass budget= to the CostMeter you give, or let the conversation make one"
            )
        self._meter = meter
        self._init_state()

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Conversation:
        self._send_lock = anyio.Lock()
        self._done = anyio.Event()
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        try:
            await self._open()
        except BaseException as exc:
            tg.cancel_scope.cancel()
            with contextlib.suppress(BaseException):
                await tg.__aexit__(type(exc), exc, exc.__traceback__)
            await self._close_connection()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
        await self._close_connection()
        tg, self._tg = self._tg, None
        if tg is not None:
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
        if exc is None and self._error is not None and not isinstance(self._error, HangupError):
            raise self._error

    async def _open(self) -> None:
        assert self._tg is not None
        if self._connection is not None:
            conn = self._connection
        else:
            target: dict[str, Any] = (
                {"call_id": self._call_id} if self._call_id else {"model": self._model}
            )
            opener = connect(**target, session=self._session_config, **self._connect_args)
            # Kept only once open: a failed __aenter__ has cleaned up after itself, and exiting
            # it again (trio: its task group twice) would hide the real error.
            conn = await opener.__aenter__()
            self._connect_cm = opener
            self._updates_sent = 1  # connect() sent the config; its answer is still to come
        self._conn = conn
        capabilities = conn.transport.capabilities
        server_playback = capabilities.server_playback or self._call_id is not None
        # Over WebRTC the audio still reaches the app (on a track), though the server plays it
        # out and cuts it; on a SIP call it never does.
        self._media = not capabilities.audio_in_band
        self._sink = self._make_sink(server_playback and not self._media)
        self._offer = getattr(self._sink, "offer", None)
        self._input = InputConverter(self._audio_format, self._input_rate)
        self._engine = ConversationEngine(
            EngineSettings(
                wire_format=self._audio_format,
                output_rate=self._output_rate,
                audio_output=self._audio_output and not server_playback,
                server_playback=server_playback,
                transcript_hold_s=self._transcript_hold_s,
            ),
            sink=self._sink,
            scheduler=self._scheduler,
            log=self.log,
            now=self._now,
        )
        self._meter.set_audio_formats(
            input_format=_format_name(self._audio_format),
            output_format=_format_name(self._audio_format),
        )
        if self._connection is not None:
            # Someone else's connection: apply our options and wait for the server to take them.
            number = await self._send_session_update(self._session_config)
        self._spawn(self._drive)
        self._spawn(self._play)
        self._spawn(self._tick)
        if self._media:
            self._spawn(self._pull_media)  # read even with no sink: the track must drain
        # Return with the confirmed config in hand (conv.session): connect() has seen it, and the
        # driver hands it to the engine at once; with someone else's connection, we wait for ours.
        await self._wait_update(number if self._connection is not None else self._updates_sent)
        if self._history is not None:
            await self._seed(self._history)

    def _make_sink(self, server_playback: bool) -> PlaybackSink | None:
        arg = self._playback_arg
        if server_playback or not self._audio_output:
            return None
        if isinstance(arg, str):
            self._app_playback = AppPlayback(self._output_rate, mode=arg, now=self._now)
            return self._app_playback
        if arg.clock.rate != self._output_rate:
            raise ConfigurationError(
                f"the playback sink's clock counts at {arg.clock.rate} Hz but output_rate is"
                f" {self._output_rate}"
            )
        return arg

    # -- public state --------------------------------------------------------------------------

    @property
    def connection(self) -> RealtimeConnection:
        """The live connection (raw events, protocol state, ``send`` for anything else)."""
        if self._conn is None:
            raise LocalProtocolError("use the connection", "the conversation is not open")
        return self._conn

    @property
    def meter(self) -> CostMeter:
        """The cost meter of this conversation."""
        return self._meter

    @property
    def cost_usd(self) -> Decimal:
        """Dollars so far (actual usage plus estimates for responses still running)."""
        return self._meter.priced_usd

    @property
    def session(self) -> dict[str, Any] | None:
        """The session config as the server last confirmed it."""
        return self._engine.session if self._engine is not None else None

    @property
    def playback(self) -> PlaybackSink | None:
        """The playback sink (None when the server plays the audio, or audio is off)."""
        return self._sink

    @property
    def clock(self) -> PlaybackClock | None:
        """The playback clock barge-in reads (None when the server plays the audio)."""
        return self._sink.clock if self._sink is not None else None

    @property
    def closed(self) -> bool:
        """Whether the conversation has ended."""
        return self._closed

    @property
    def error(self) -> BaseException | None:
        """Why the conversation ended, when it ended by failure."""
        return self._error if not isinstance(self._error, HangupError) else None

    # -- events --------------------------------------------------------------------------------

    def events(self, *, raw: bool = False) -> AsyncIterator[ConversationEvent]:
        """Every conversation event in order, until :class:`ConversationClosed` (included).

        Assistant audio is not in this stream (read :meth:`audio`, or ``on(AssistantAudio)``).
        With ``raw=True`` every server event also comes as a :class:`RawServerEvent`. One
        reader at a time: several readers share (split) the stream.
        """
        if raw:
            self._raw = True
        return EventStream(self._next_event, raw)

    def audio(self) -> AsyncIterator[AssistantAudio]:
        """Assistant audio at ``output_rate``, in playback order, when no sink was given.

        Interruptions flush what you have not read; the frames you did read and still buffer are
        yours to drop when an :class:`Interrupted` event arrives (or use a sink).
        """
        if self._app_playback is None:
            raise LocalProtocolError(
                "read conversation.audio()",
                "audio goes to the playback sink you gave (or audio is off)",
            )
        return AudioStream(self._app_playback, self._response_of)

    def played(self, samples: int | PCMFrame) -> int:
        """``playback="reported"``: you played ``samples`` of the audio read from :meth:`audio`."""
        if self._app_playback is None:
            raise LocalProtocolError(
                "report playback", "no app playback (a sink was given, or audio is off)"
            )
        return self._app_playback.played(samples)

    @overload
    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]: ...

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Callable[[], None]: ...

    def on(
        self, event_type: type[E], handler: Handler[E] | None = None
    ) -> Callable[[], None] | Callable[[Handler[E]], Handler[E]]:
        """Call ``handler`` for every event of ``event_type`` (assistant audio included).

        Plain functions run inline (keep them quick); ``async`` ones run as tasks, in order.
        Returns an unsubscribe function, or works as a decorator.
        """
        if handler is None:

            def decorator(fn: Handler[E]) -> Handler[E]:
                self._handlers.setdefault(event_type, []).append(fn)
                return fn

            return decorator
        self._handlers.setdefault(event_type, []).append(handler)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._handlers.get(event_type, []).remove(handler)

        return unsubscribe

    # -- audio in ------------------------------------------------------------------------------

    async def send_audio(
        self, audio: PCMFrame | bytes | bytearray | memoryview | np.ndarray
    ) -> None:
        """Send the user's audio: PCM16 bytes or an ``int16`` array at ``input_rate``, or a
        :class:`~realtime_kit.audio.PCMFrame` at any rate (resampled once, statefully).

        Raises:
            AudioError: audio of the wrong type or shape.
            LocalProtocolError, ConnectionClosedError: the conversation is closed.
        """
        conn = self._require_open()
        if self._media:
            # The track takes frames at any rate and resamples them once itself.
            await conn.send_audio(_as_media_frame(audio, self._input_rate))
            return
        assert self._input is not None
        data = self._input.convert(audio)
        if data:
            await conn.send_audio(data)
            self._meter.record_input_audio(len(data))

    async def stream_audio(self, source: AsyncIterable[PCMFrame | bytes | np.ndarray]) -> None:
        """Send every chunk of ``source`` (a microphone, a paced WAV) until it ends."""
        async for chunk in source:
            if self._closed:
                return
            await self.send_audio(chunk)

    async def start_turn(self) -> None:
        """Push-to-talk: the user starts speaking (assistant audio is cut, the buffer cleared)."""
        engine = self._require_engine()
        engine.barge_in("app")
        await self._send(InputAudioBufferClearEvent())
        await self._flush()

    async def end_turn(self, *, respond: bool = True) -> ResponseHandle | None:
        """Push-to-talk: the user stopped: commit the audio and (by default) ask for a reply."""
        conn = self._require_open()
        assert self._input is not None
        tail = self._input.flush()
        if tail:
            await conn.send_audio(tail)
            self._meter.record_input_audio(len(tail))
        await self._send(InputAudioBufferCommitEvent())
        handle = self.respond() if respond else None
        await self._flush()
        return handle

    async def interrupt(self) -> bool:
        """Barge in now (your own VAD, a button): cut playback at the heard position, cancel the
        response. Returns whether anything was interrupted."""
        engine = self._require_engine()
        interrupted = engine.barge_in("app")
        await self._flush()
        return interrupted

    # -- responses -----------------------------------------------------------------------------

    def respond(
        self,
        *,
        instructions: str | None = None,
        out_of_band: bool = False,
        metadata: Mapping[str, str] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        input: Sequence[Mapping[str, Any]] | None = None,
        output_modalities: Sequence[str] | None = None,
        max_output_tokens: int | Literal["inf"] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ResponseHandle:
        """Ask for a response; it is sent as soon as the conversation is free (never while
        another one writes to it). ``out_of_band`` runs it outside the conversation (not in
        the history; may run beside others). Returns a :class:`ResponseHandle` at once."""
        params: dict[str, Any] = {}
        if instructions is not None:
            params["instructions"] = instructions
        if out_of_band:
            params["conversation"] = "none"
        if metadata is not None:
            params["metadata"] = dict(metadata)
        if tool_choice is not None:
            params["tool_choice"] = (
                tool_choice
                if isinstance(tool_choice, str) and tool_choice in ("none", "auto", "required")
                else (
                    dict(tool_choice)
                    if isinstance(tool_choice, Mapping)
                    else {"type": "function", "name": tool_choice}
                )
            )
        if input is not None:
            params["input"] = [dict(item) for item in input]
        if output_modalities is not None:
            params["output_modalities"] = list(output_modalities)
        if max_output_tokens is not None:
            params["max_output_tokens"] = max_output_tokens
        if extra:
            params = merge_session(params, extra)
        return self._request(params, "app")

    def say(self, text: str) -> ResponseHandle:
        """Have the assistant speak a fixed line (a greeting, a legal notice).

        A speech-to-speech model has no text-to-speech mode: it is asked to say the text word
        for word, with tools off. It almost always does; when the words it spoke differ, the
        response's ``ResponseDone`` still comes and the log shows what was actually said.
        """
        if not text.strip():
            raise ConfigurationError("say() needs some text")
        instructions = (
            "Say exactly the following text, word for word, in the conversation's voice and"
            " language, and nothing else. Do not add anything before or after it.\n\nTEXT:\n" + text
        )
        return self._request({"instructions": instructions, "tool_choice": "none"}, "say")

    async def cancel(self, target: str | None = None) -> bool:
        """Cancel a request (``req_…``) or response (``resp_…``; None = the active one).

        Returns False when there was nothing to cancel (already finished or cancelled).
        """
        self._require_open()
        return await self._cancel(target)

    # -- session changes and items -------------------------------------------------------------

    async def update(
        self,
        *,
        instructions: str | None = None,
        voice: str | None = None,
        speed: float | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        turn_detection: TurnDetection
        | Literal["server_vad", "semantic_vad"]
        | Mapping[str, Any]
        | Literal[False]
        | None = False,
        reasoning_effort: str | None = None,
        max_output_tokens: int | Literal["inf"] | None = None,
        truncation: str | Mapping[str, Any] | None = None,
        session: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Change session options mid-call; returns once the server confirmed them.

        Only the options given change (``turn_detection=None`` switches to push-to-talk;
        leave it out to keep it). ``voice`` cannot change after the assistant has spoken.

        Raises:
            ConfigurationError: a bad option, or the server refused the change.
        """
        patch: dict[str, Any] = {"type": "realtime"}
        if instructions is not None:
            patch["instructions"] = instructions
        if tools is not None:
            self._tools = ToolSet(list(tools), default_timeout=self._tools.default_timeout)
            patch["tools"] = self._tools.definitions
        if tool_choice is not None:
            patch["tool_choice"] = (
                tool_choice
                if isinstance(tool_choice, (str,))
                and tool_choice
                in (
                    "none",
                    "auto",
                    "required",
                )
                else (
                    dict(tool_choice)
                    if isinstance(tool_choice, Mapping)
                    else {"type": "function", "name": tool_choice}
                )
            )
        audio_out: dict[str, Any] = {}
        if voice is not None:
            audio_out["voice"] = voice
        if speed is not None:
            if not 0.25 <= speed <= 1.5:
                raise ConfigurationError(f"speed must lie in 0.25…1.5, not {speed!r}")
            audio_out["speed"] = speed
        if audio_out:
            patch["audio"] = {"output": audio_out}
        if turn_detection is not False:
            patch.setdefault("audio", {})["input"] = {
                "turn_detection": turn_detection_payload(turn_detection)
            }
        if reasoning_effort is not None:
            patch["reasoning"] = {"effort": reasoning_effort}
        if max_output_tokens is not None:
            patch["max_output_tokens"] = max_output_tokens
        if truncation is not None:
            patch["truncation"] = truncation
        if session:
            patch = merge_session(patch, session)
        self._require_open()
        number = await self._send_session_update(patch)
        return await self._wait_update(number)

    async def add_message(
        self, text: str, *, role: Literal["user", "system", "assistant"] = "user"
    ) -> str:
        """Insert a text message into the conversation (a typed user message, a system note).

        Returns the item id. It does not ask for a response; call :meth:`respond` for that.
        """
        part = "output_text" if role == "assistant" else "input_text"
        item_id = f"item_rk{next(_ITEM_IDS)}"
        await self._send(
            create_item(
                {
                    "id": item_id,
                    "type": "message",
                    "role": role,
                    "content": [{"type": part, "text": text}],
                }
            )
        )
        self.log.place(MessageEntry(item_id, role, text), None)
        await self._flush()
        return item_id

    async def _seed(self, history: ConversationLog) -> None:
        for item in history.seed_items():
            await self._send(create_item(item))
        for entry in history.entries:
            self.log.place(entry, None)
        self.log.responses.update(history.responses)
        await self._flush()


def _as_media_frame(
    audio: PCMFrame | bytes | bytearray | memoryview | np.ndarray, rate: int
) -> PCMFrame:
    if isinstance(audio, PCMFrame):
        return audio
    if isinstance(audio, np.ndarray):
        return PCMFrame.from_array(audio, rate)
    return PCMFrame.from_bytes(bytes(audio), rate)


def _format_name(audio_format: str) -> str:
    return {"pcm16": "audio/pcm", "pcmu": "audio/pcmu", "pcma": "audio/pcma"}[audio_format]


_ITEM_IDS = itertools.count(1)
