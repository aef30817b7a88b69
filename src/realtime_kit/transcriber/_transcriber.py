"""``realtime_kit.Transcriber``: a transcription session end to end — audio in, ordered captions
out, cost metered, reconnects without loss.

Three tasks run in a task group the ``async with transcriber.stream(audio)`` block owns:

* the **pump** reads the caller's audio, resamples it to the wire format, runs the client-side
  VAD (sessions without server VAD) and writes audio and commit points into the :class:`Ledger`;
* the **sender** writes the ledger to the current session in order (appends of at most 200 ms,
  commits where the plan says);
* the **receiver** feeds every server event to the :class:`CaptionEngine` and the
  :class:`~realtime_kit.CostMeter` and hands out captions.

Reconnects are done here, not by the connection layer, because what must be replayed is a
transcription fact, not a socket fact: audio of every item whose transcript had not arrived,
plus the uncommitted tail — and none of the audio already transcribed. The connection's own
replay knows only uncommitted appends (it forgets a committed turn whose transcript was still on
its way). The reconnect *policy* (attempts, back-off, which errors heal) is the connection
layer's :class:`~realtime_kit.client.ReconnectPolicy`.

Imports: anyio, the standard library, ``errors``, ``events``, ``audio``, ``cost``,
``connection``, ``factory``, ``reconnect`` and sibling modules.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from realtime_kit.client import (
    ConnectionRestored,
    RealtimeConnection,
    ReconnectPolicy,
    TransportOpener,
    connect,
)
from realtime_kit.cost import Budget, CostMeter
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    RealtimeKitError,
    SessionExpiredError,
    UnpricedModelError,
)
from realtime_kit.events import (
    ErrorEvent,
    InputAudioBufferClearEvent,
    InputAudioBufferCommitEvent,
    InputAudioBufferCommittedEvent,
)
from realtime_kit.transcriber._captions import (
    Caption,
    Segment,
    Transcript,
    TranscriptionRestored,
    TranscriptionStopped,
)
from realtime_kit.transcriber._config import (
    CLIENT_COMMIT_MODELS,
    TRANSCRIPTION_MODELS,
    session_config,
)
from realtime_kit.transcriber._engine import CaptionEngine, CommitSpan
from realtime_kit.transcriber._input import (
    Action,
    AudioChunk,
    InputFormat,
    Ledger,
    Normalizer,
    bytes_per_ms,
    iterate,
)
from realtime_kit.transcriber._pump import InputPump
from realtime_kit.transcriber._vad import VadSettings

__all__ = ["Transcriber"]

_log = logging.getLogger("realtime_kit.transcriber")

_MAX_APPEND_MS = 200
_PADDING_GRACE_S = 1.0
TurnDetection = Literal["auto", "server_vad", "client"]


class _StoppedError(Exception):
    """Internal: the budget's hard stop ended the run."""


class Transcriber:
    """Live transcription of any audio into ordered captions (PROTOCOL.md §2.2, §4e).

    Args:
        model: ``gpt-realtime-whisper`` (default), ``gpt-live-transcribe``, or the
            ``gpt-4o-transcribe`` family, ``gpt-transcribe``, ``whisper-1``.
        language: ISO-639-1 code of the speech, if known.
        prompt: a text prompt for the model (not for ``gpt-realtime-whisper``).
        keywords: words to favour (``gpt-transcribe`` / ``gpt-live-transcribe`` only).
        delay: ``minimal``…``xhigh`` latency/accuracy trade (``gpt-realtime-whisper``,
            ``gpt-live-transcribe``).
        noise_reduction: ``"near_field"``, ``"far_field"`` or None (off).
        turn_detection: ``"auto"`` (client commits for the models that need them, server VAD
            otherwise), ``"client"`` (our energy VAD commits), or ``"server_vad"``.
        server_vad: extra server-VAD settings (``threshold``, ``prefix_padding_ms``,
            ``silence_duration_ms``).
        vad: client-side VAD settings.
        input_format: ``"pcm16"`` (24 kHz), ``"pcmu"`` or ``"pcma"`` (G.711 at 8 kHz); the
            audio you give is converted.
        logprobs: ask for token log-probabilities (kept on segments and partials).
        meter: a :class:`~realtime_kit.CostMeter` to use (default: a new one); ``budget``
            adds a budget to the default meter. At the hard stop the run ends cleanly with a
            :class:`TranscriptionStopped` caption.
        reconnect: a :class:`~realtime_kit.client.ReconnectPolicy`, True (default policy),
            or False.
        final_timeout: seconds to wait, after the input ends, for the last transcripts.
        api_key: as for :func:`realtime_kit.connect`.
        base_url: as for :func:`realtime_kit.connect`.
        organization: as for :func:`realtime_kit.connect`.
        project: as for :func:`realtime_kit.connect`.
        safety_identifier: as for :func:`realtime_kit.connect`.
        transport: as for :func:`realtime_kit.connect`.
        open_timeout: as for :func:`realtime_kit.connect`.

    Use::

        transcriber = Transcriber()
        async with transcriber.stream(wav_source("talk.wav")) as captions:
            async for caption in captions:
                ...
    """

    def __init__(
        self,
        model: str = "gpt-realtime-whisper",
        *,
        language: str | None = None,
        prompt: str | None = None,
        keywords: Sequence[str] | None = None,
        delay: str | None = None,
        noise_reduction: Literal["near_field", "far_field"] | None = None,
        turn_detection: TurnDetection = "auto",
        server_vad: Mapping[str, Any] | None = None,
        vad: VadSettings | None = None,
        input_format: InputFormat = "pcm16",
        logprobs: bool = False,
        meter: CostMeter | None = None,
        budget: Budget | None = None,
        reconnect: ReconnectPolicy | bool = True,
        final_timeout: float = 30.0,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        safety_identifier: str | None = None,
        transport: TransportOpener | None = None,
        open_timeout: float = 15.0,
    ) -> None:
        if model not in TRANSCRIPTION_MODELS:
            raise ConfigurationError(
                f"unknown transcription model {model!r}; one of {', '.join(TRANSCRIPTION_MODELS)}"
            )
        if turn_detection not in ("auto", "server_vad", "client"):
            raise ConfigurationError(
                f"turn_detection must be 'auto', 'client' or 'server_vad', not {turn_detection!r}"
            )
        if turn_detection == "server_vad" and model in CLIENT_COMMIT_MODELS:
            raise ConfigurationError(f"{model} needs turn_detection: null (client commits)")
        if meter is not None and budget is not None:
            raise ConfigurationError("pass budget= or meter=, not both (put the budget on it)")
        self.model = model
        self.client_commits = turn_detection == "client" or (
            turn_detection == "auto" and model in CLIENT_COMMIT_MODELS
        )
        self.input_format: InputFormat = input_format
        self.session_config = session_config(
            model,
            client_commits=self.client_commits,
            input_format=input_format,
            language=language,
            prompt=prompt,
            keywords=keywords,
            delay=delay,
            noise_reduction=noise_reduction,
            server_vad=server_vad,
            logprobs=logprobs,
        )
        self.vad_settings = vad or VadSettings()
        self._given_meter = meter
        self._budget = budget
        self.meter = meter if meter is not None else self._new_meter()
        if reconnect is True:
            self.reconnect_policy: ReconnectPolicy | None = ReconnectPolicy()
        else:
            self.reconnect_policy = reconnect or None
        self.final_timeout = final_timeout
        self._connect_options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "organization": organization,
            "project": project,
            "safety_identifier": safety_identifier,
            "transport": transport,
            "open_timeout": open_timeout,
        }
        # Resolve the key now: a missing one is a configuration error before any audio is read.
        from realtime_kit._settings import ClientSettings

        ClientSettings.resolve(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            safety_identifier=safety_identifier,
        )
        self._logprobs = logprobs
        self._reset()

    def _new_meter(self) -> CostMeter:
        return CostMeter(budget=self._budget, strict=False)

    def _reset(self) -> None:
        vad = self.session_config["audio"]["input"]["turn_detection"] or {}
        if self._given_meter is None:
            self.meter = self._new_meter()  # one run, one bill (a meter you pass spans runs)
        self.engine = CaptionEngine(
            client_commits=self.client_commits,
            prefix_padding_ms=float(vad.get("prefix_padding_ms", 300)),
            silence_duration_ms=float(vad.get("silence_duration_ms", 500)),
            logprobs=self._logprobs,
        )
        self.ledger = Ledger(bytes_per_ms(self.input_format))
        self.restores: list[TranscriptionRestored] = []
        self.stopped: TranscriptionStopped | None = None
        self._sent = 0  # wire bytes of the stream written to the current session
        self._next_action = 0
        self._last_commit = 0  # stream position of the last commit or clear written
        self._wakeup = anyio.Event()
        self._progress = anyio.Event()
        self._pump: InputPump | None = None
        self._running = False
        self._sent_high = 0
        self._span_start = 0
        self._sync_pending = False
        self._fed = anyio.Event()
        self._padding_item: str | None = None
        self._opened = False

    # -- results -----------------------------------------------------------------------------

    @property
    def segments(self) -> list[Segment]:
        """Final segments so far, in spoken order."""
        return list(self.engine.segments)

    @property
    def transcript(self) -> str:
        """The running transcript (final segments only)."""
        return self.engine.transcript

    @property
    def input_seconds(self) -> float:
        """Seconds of input audio read so far."""
        return self._pump.input_ms / 1000 if self._pump is not None else 0.0

    def _wake(self) -> None:
        self._wakeup.set()

    @property
    def sent_seconds(self) -> float:
        """Seconds of audio written to the server so far (the current position in the input)."""
        return self.ledger.ms(self._sent) / 1000

    @property
    def cost_usd(self) -> Decimal | None:
        """Exact cost so far, or None while a model without a price is involved."""
        try:
            return self.meter.total_usd
        except UnpricedModelError:
            return None

    def result(self) -> Transcript:
        """The transcript so far as a :class:`Transcript`."""
        return Transcript(
            segments=tuple(self.engine.segments),
            model=self.model,
            failures=tuple(self.engine.failures),
            cost_usd=self.cost_usd,
            audio_seconds=round(self.input_seconds, 3),
            stopped=self.stopped,
        )

    async def transcribe(self, audio: AsyncIterable[AudioChunk], **kwargs: Any) -> Transcript:
        """Run over all of ``audio`` and return the :class:`Transcript`."""
        async with self.stream(audio, **kwargs) as captions:
            async for _ in captions:
                pass
        return self.result()

    # -- running -----------------------------------------------------------------------------

    @asynccontextmanager
    async def stream(
        self, audio: AsyncIterable[AudioChunk], *, rate: int = 24_000, channels: int = 1
    ) -> AsyncIterator[MemoryObjectReceiveStream[Caption]]:
        """Transcribe ``audio``; the block gets the caption stream (``async for`` over it).

        ``audio`` yields :class:`~realtime_kit.audio.PCMFrame` (any rate and channels) or PCM16
        bytes read at ``rate`` / ``channels``. The stream ends once the input has ended and the
        last transcript arrived, or at a budget stop; errors that end the run are raised from
        the iteration (a dropped connection is retried first).
        """
        if self._running:
            raise ConfigurationError("this Transcriber is already running")
        self._reset()
        self._running = True
        send, receive = anyio.create_memory_object_stream[Caption](math.inf)
        normalizer = Normalizer(self.input_format, rate=rate, channels=channels)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._main, iterate(audio), normalizer, send)
                async with receive:
                    yield receive
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise _first(group) from None
        finally:
            self._running = False

    async def _main(
        self,
        audio: AsyncIterator[AudioChunk],
        normalizer: Normalizer,
        out: MemoryObjectSendStream[Caption],
    ) -> None:
        pump = InputPump(
            self.ledger,
            self.vad_settings,
            client_commits=self.client_commits,
            input_format=self.input_format,
            on_onset=self.engine.note_onset,
            wake=self._wake,
            tail_ms=lambda: self.engine.silence_duration_ms + 200,
        )
        self._pump = pump
        async with out, anyio.create_task_group() as tg:
            tg.start_soon(pump.run, audio, normalizer)
            with contextlib.suppress(_StoppedError):  # the budget ended it: a clean end
                await self._sessions(out)
            tg.cancel_scope.cancel()

    async def _sessions(self, out: MemoryObjectSendStream[Caption]) -> None:
        attempt = 0
        code: int | None = None
        restore: tuple[int, int | None] | None = None
        while True:
            self._opened = False
            try:
                await self._session(out, restore)
                return
            except RealtimeKitError as exc:
                policy = self.reconnect_policy
                # The 60-minute cap ends a session, not a transcription: carry on in a new one.
                expired = isinstance(exc, SessionExpiredError)
                if policy is None or not (expired or policy.should_retry(exc)):
                    raise
                if restore is None and not self._opened:
                    raise  # never connected at all: report it now rather than retry blindly
                if self._opened:  # a new outage (not a failed re-open): count afresh
                    attempt = 0
                    code = exc.code if isinstance(exc, ConnectionClosedError) else None
                    code = 1001 if expired else code
                if attempt >= policy.max_attempts:
                    raise
                _log.info("transcription session lost (%s); reconnecting", exc)
                await anyio.sleep(policy.delay(attempt))
                attempt += 1
                restore = (attempt, code)

    async def _session(
        self, out: MemoryObjectSendStream[Caption], restore: tuple[int, int | None] | None
    ) -> None:
        opened = connect(
            intent="transcription",
            session=self.session_config,
            reconnect=False,
            **self._connect_options,
        )
        try:
            async with opened as conn:
                await self._serve(conn, out, restore)
        except BaseExceptionGroup as group:
            # connect()'s own task group may wrap what ended the block.
            raise _first(group) from None

    async def _serve(
        self,
        conn: RealtimeConnection,
        out: MemoryObjectSendStream[Caption],
        restore: tuple[int, int | None] | None,
    ) -> None:
        self._opened = True
        self._progress = anyio.Event()
        self._sync_pending = False
        self._padding_item = None
        try:
            async with anyio.create_task_group() as tg:
                if restore is None:
                    self.engine.start_session(0.0)
                    self._sent = 0
                else:
                    await self._replay(conn, out, *restore)
                tg.start_soon(self._sender, conn)
                tg.start_soon(self._receiver, conn, out)
                await self._finisher(out)
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise _first(group) from None

    async def _finisher(self, out: MemoryObjectSendStream[Caption]) -> None:
        """Return once the input is all sent and every transcript is in (or time is up)."""
        await self._progress.wait()
        with anyio.move_on_after(self.final_timeout) as scope:
            while self._sync_pending or not self.engine.idle:
                self._fed = anyio.Event()
                padding = self._padding_item
                if padding is not None and self.engine.waiting_only_for(padding):
                    # The padding's transcript is not worth waiting long for, but closing
                    # while the server is still answering would cut it off mid-event.
                    with anyio.move_on_after(_PADDING_GRACE_S) as grace:
                        await self._fed.wait()
                    if grace.cancelled_caught:
                        for caption in self.engine.discard(padding):
                            out.send_nowait(caption)
                    continue
                await self._fed.wait()
        if scope.cancelled_caught:
            _log.warning(
                "%d transcripts still pending %.0f s after the input ended; stopping",
                self.engine.pending_items,
                self.final_timeout,
            )

    async def _replay(
        self,
        conn: RealtimeConnection,
        out: MemoryObjectSendStream[Caption],
        attempts: int,
        code: int | None,
    ) -> None:
        ledger = self.ledger
        replayed = 0
        items = 0
        if self.client_commits:
            for span in self.engine.start_session(0.0):
                start, stop = ledger.pos(span.start_ms), ledger.pos(span.end_ms)
                replayed += await self._send_audio(conn, start, stop)
                self.engine.committing(span)
                await conn.send(InputAudioBufferCommitEvent())
                items += 1
            self._sent = self._last_commit
        else:
            resume = max(ledger.pos(self.engine.resume_ms), ledger.base)
            self.engine.start_session(ledger.ms(resume))
            self._sent = resume
            if self._next_action and ledger.actions[self._next_action - 1].kind == "sync":
                self._next_action -= 1  # the drop may have eaten the sync commit: redo it
        tail = max(0, self._sent_high - self._sent)
        notice = TranscriptionRestored(
            attempts=attempts,
            replayed_ms=ledger.ms(replayed + tail),
            replayed_items=items,
            close_code=code,
        )
        self.restores.append(notice)
        out.send_nowait(notice)  # unbounded: never blocks, never lost to a cancel

    async def _send_audio(self, conn: RealtimeConnection, start: int, stop: int) -> int:
        step = self.ledger.bpm * _MAX_APPEND_MS
        pos = start
        while pos < stop:
            end = min(stop, pos + step)
            await conn.send_audio(self.ledger.slice(pos, end))
            pos = end
        return stop - start

    async def _sender(self, conn: RealtimeConnection) -> None:
        ledger = self.ledger
        while True:
            actions = ledger.actions
            target = actions[self._next_action].at if self._next_action < len(actions) else None
            limit = ledger.end if target is None else min(target, ledger.end)
            if self._sent < limit:
                end = min(limit, self._sent + ledger.bpm * _MAX_APPEND_MS)
                data = ledger.slice(self._sent, end)
                await conn.send_audio(data)
                self._sent = end
                self._sent_high = max(self._sent_high, end)
                continue
            if target is not None and self._sent >= target:
                action = actions[self._next_action]
                # Counted as done before it is written: if the write fails, the engine's
                # unacknowledged span is what the reconnect replays, exactly once.
                self._next_action += 1
                self._last_commit = action.at
                await self._act(conn, action)
                self._trim()
                continue
            if ledger.done:
                self._progress.set()
                return
            self._wakeup = anyio.Event()
            if self._sent < ledger.end or self._next_action < len(ledger.actions) or ledger.done:
                continue
            await self._wakeup.wait()

    async def _act(self, conn: RealtimeConnection, action: Action) -> None:
        ledger = self.ledger
        start = self._span_start
        self._span_start = action.at
        if action.kind == "clear":
            await conn.send(InputAudioBufferClearEvent())
        elif action.kind == "sync":
            # Server VAD: a last manual commit. Its answer (committed, or "buffer too small")
            # proves the server has read all our audio, so the last turn is not missed.
            self._sync_pending = True
            await conn.send(InputAudioBufferCommitEvent())
        else:
            self.engine.committing(
                CommitSpan(
                    ledger.ms(start),
                    ledger.ms(action.at),
                    action.speech_start_ms,
                    action.speech_end_ms,
                )
            )
            await conn.send(InputAudioBufferCommitEvent())

    def _trim(self) -> None:
        # Keep what a reconnect could replay: unfinished items and the uncommitted tail.
        keep = self.ledger.pos(self.engine.resume_ms)
        if self.client_commits:
            keep = min(keep, self._last_commit)
        self.ledger.release(keep)

    async def _receiver(
        self, conn: RealtimeConnection, out: MemoryObjectSendStream[Caption]
    ) -> None:
        async for event in conn:
            if isinstance(event, ConnectionRestored):
                continue  # not enabled on our connections; reconnects are ours
            self.meter.observe(event)
            if isinstance(event, ErrorEvent):
                self._on_error(event)
            sync_item: str | None = None
            if (
                isinstance(event, InputAudioBufferCommittedEvent)
                and self._sync_pending
                and not self.engine.vad_closed(event.item_id)
            ):
                # The answer to our sync commit (a VAD turn ends with speech_stopped first).
                self._sync_pending = False
                sync_item = event.item_id
            captions = self.engine.feed(event)
            if sync_item is not None and not self.engine.heard_speech(sync_item):
                self._padding_item = sync_item  # only the silence we padded the input with
            for caption in captions:
                out.send_nowait(caption)  # unbounded: never blocks, never lost to a cancel
            if event.type == "conversation.item.input_audio_transcription.completed":
                self._trim()
            self._fed.set()
            if self.meter.budget_exhausted:
                self.stopped = TranscriptionStopped("budget", self.cost_usd)
                out.send_nowait(self.stopped)  # unbounded: never blocks, never lost to a cancel
                raise _StoppedError

    def _on_error(self, event: ErrorEvent) -> None:
        code = event.error.code
        if code == "input_audio_buffer_commit_empty":
            if self._sync_pending and not self.client_commits:
                self._sync_pending = False
                return  # the sync commit found the buffer empty: all audio was read
            self.engine.commit_rejected()
        _log.warning("server error %s: %s", code, event.error.message)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that matters in a task group's failure (ours, else the first)."""
    leaves: list[BaseException] = []

    def walk(g: BaseExceptionGroup[BaseException]) -> None:
        for e in g.exceptions:
            if isinstance(e, BaseExceptionGroup):
                walk(e)
            else:
                leaves.append(e)

    walk(group)
    for leaf in leaves:
        if isinstance(leaf, _StoppedError | RealtimeKitError):
            return leaf
    return leaves[0] if leaves else group
