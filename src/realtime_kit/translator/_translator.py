"""``realtime_kit.Translator``: live speech translation into one or many languages.

One input, one resample: the app's audio is converted once to the engine's format (PCM16
24 kHz mono, 200 ms frames) and fanned out to one translation session per target language.
Each session is a connection-layer connection (``connect(translation=True)``) whose reconnect
and rollover carry the input timeline across sessions; each language has its own meter, audio
stream and segments, and a failing language is reported while the others go on.

Background tasks (one per language, the stall padder, ``stream_audio``'s pump) live in a task
group the ``async with`` block owns.

Imports: anyio, the standard library, ``errors``, ``events``, ``cost``, ``reconnect`` and
sibling modules (never a concrete transport: sessions are opened with ``realtime_kit.connect``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup

from realtime_kit.client import ReconnectPolicy, RolloverPolicy, TransportOpener
from realtime_kit.cost import Budget, CostMeter, PriceBook
from realtime_kit.errors import (
    BudgetExceededError,
    ConfigurationError,
    LocalProtocolError,
    RealtimeKitError,
)
from realtime_kit.transcriber._input import iterate
from realtime_kit.transcriber._transcriber import _first
from realtime_kit.translator._engine import TranslationEngine
from realtime_kit.translator._events import (
    LanguageFailed,
    SourceSentence,
    Translation,
    TranslationRestored,
    TranslationSegment,
    TranslationStopped,
    TranslatorEvent,
)
from realtime_kit.translator._feed import Feed
from realtime_kit.translator._input import AudioInput, PaceClock, SystemClock
from realtime_kit.translator._lane import Flag, Lane
from realtime_kit.translator._languages import LanguageList
from realtime_kit.translator._streams import AudioStream, EventStream, Queue

__all__ = ["Translator"]

_log = logging.getLogger("realtime_kit.translator")

UnknownLanguage = Literal["error", "allow"]
_FRAME_MS = 200


class Translator:
    """Live translation of any audio into one or several languages (PROTOCOL.md §2.3, §4f).

    Args:
        to: the target language (``"es"``) or languages (``["es", "fr", "de"]``): one session
            each, all fed from one input.
        source_transcript: also transcribe the source speech, aligned with the translations
            (each session transcribes what it hears; the first language's transcript is the
            one handed out as :class:`SourcePartial` / :class:`SourceFinal`).
        transcription_model: the source transcription model (``gpt-realtime-whisper``).
        noise_reduction: ``"near_field"``, ``"far_field"`` or None (off).
        model: the translation model.
        languages: the supported target languages: a :class:`LanguageList`, a path to a list
            file, or codes; default the shipped list (unofficial, see ``languages.toml``).
        unknown_language: a code not on the list is an
            :class:`~realtime_kit.errors.UnsupportedLanguageError` (``"error"``) or is sent as
            asked (``"allow"``; the server then decides).
        input_rate: the rate of PCM16 ``bytes`` and arrays given to :meth:`send_audio` (frames
            carry their own); anything is converted to 24 kHz mono once.
        input_channels: their interleaved channel count (downmixed to mono).
        output_rate: the rate of :meth:`audio` frames (translated audio is resampled to it).
        keep_audio: keep the translated audio for :meth:`audio` (False: text and spans only).
        fail_fast: end the whole translation when one language fails (default: report it with
            :class:`LanguageFailed` and go on with the others).
        pad_stalls: when the source falls more than ``stall_ms`` behind real time, send silence
            (the engine needs continuous audio) and report it with :class:`InputPadded`.
        stall_ms: how far behind real time the source may fall before silence is sent.
        gap_ms: a jump this large in ``elapsed_ms`` ends a sentence even without punctuation.
        budget: a :class:`~realtime_kit.cost.Budget` over all languages; thresholds come as
            :class:`BudgetNotice` events and the hard stop ends the input cleanly
            (:class:`TranslationStopped`).
        prices: a :class:`~realtime_kit.cost.PriceBook` to price with (default: the shipped
            cards).
        reconnect: the connection layer's reconnect policy (True for the default one).
        rollover: its rollover policy before the 60-minute cap (True for the default one).
        retention_ms: input audio each connection keeps to re-send after a drop.
        close_timeout: seconds to wait, after the input ends, for the last translations.
        clock: wall-clock seconds, compared with the session's ``expires_at`` for rollover.
        stall_clock: what stalls are measured on (default: the event loop's clock).
        api_key: as for :func:`realtime_kit.connect`.
        base_url: as for :func:`realtime_kit.connect`.
        organization: as for :func:`realtime_kit.connect`.
        project: as for :func:`realtime_kit.connect`.
        safety_identifier: as for :func:`realtime_kit.connect`.
        transport: as for :func:`realtime_kit.connect`.
        open_timeout: as for :func:`realtime_kit.connect`.

    Use::

        async with Translator(to="es", source_transcript=True) as tr:
            tr.stream_audio(wav_source("talk.wav"))
            async for event in tr.events():
                ...
        print(tr.result().to_srt(side="both"))
    """

    def __init__(
        self,
        to: str | Sequence[str] = "es",
        *,
        source_transcript: bool = False,
        transcription_model: str = "gpt-realtime-whisper",
        noise_reduction: Literal["near_field", "far_field"] | None = None,
        model: str = "gpt-realtime-translate",
        languages: LanguageList | str | Sequence[str] | None = None,
        unknown_language: UnknownLanguage = "error",
        input_rate: int = 24_000,
        input_channels: int = 1,
        output_rate: int = 24_000,
        keep_audio: bool = True,
        fail_fast: bool = False,
        pad_stalls: bool = True,
        stall_ms: int = 600,
        gap_ms: int = 800,
        budget: Budget | None = None,
        prices: PriceBook | None = None,
        reconnect: ReconnectPolicy | bool = True,
        rollover: RolloverPolicy | bool = True,
        retention_ms: int = 5_000,
        close_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        stall_clock: PaceClock | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        safety_identifier: str | None = None,
        transport: TransportOpener | None = None,
        open_timeout: float = 15.0,
    ) -> None:
        if unknown_language not in ("error", "allow"):
            raise ConfigurationError(
                f"unknown_language must be 'error' or 'allow', not {unknown_language!r}"
            )
        self.language_list = _language_list(languages)
        wanted = [to] if isinstance(to, str) else list(to)
        if not wanted:
            raise ConfigurationError("to= needs at least one target language")
        allow = unknown_language == "allow"
        codes = [self.language_list.resolve(code, allow_unknown=allow) for code in wanted]
        if len(set(codes)) != len(codes):
            raise ConfigurationError(f"a target language is listed twice: {codes}")
        for name, value in (("stall_ms", stall_ms), ("gap_ms", gap_ms)):
            if value < _FRAME_MS:
                raise ConfigurationError(f"{name} must be at least {_FRAME_MS}, got {value}")
        if close_timeout <= 0 or output_rate <= 0 or input_rate <= 0 or input_channels <= 0:
            raise ConfigurationError("close_timeout and the rates and channels must be positive")
        if retention_ms < _FRAME_MS or retention_ms % _FRAME_MS:
            raise ConfigurationError(
                f"retention_ms must be a positive multiple of {_FRAME_MS}, got {retention_ms}"
            )
        if noise_reduction not in (None, "near_field", "far_field"):
            raise ConfigurationError(
                "noise_reduction must be 'near_field', 'far_field' or None, "
                f"not {noise_reduction!r}"
            )
        self.languages: tuple[str, ...] = tuple(codes)
        self.model = model
        self.source_transcript = source_transcript
        self.transcription_model = transcription_model
        self._noise = noise_reduction
        self.input_rate, self.input_channels = input_rate, input_channels
        self.output_rate = output_rate
        self.keep_audio = keep_audio
        self.fail_fast = fail_fast
        self.pad_stalls = pad_stalls
        self.stall_ms = stall_ms
        self.gap_ms = gap_ms
        self.budget = budget
        self.prices = prices
        self.reconnect_policy = ReconnectPolicy() if reconnect is True else reconnect or None
        self.rollover_policy = RolloverPolicy() if rollover is True else rollover or None
        self.retention_ms = retention_ms
        self.close_timeout = close_timeout
        self._clock: PaceClock = stall_clock or SystemClock()
        self._options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "organization": organization,
            "project": project,
            "safety_identifier": safety_identifier,
            "transport": transport,
            "open_timeout": open_timeout,
            "clock": clock,
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
        self._state: Literal["new", "open", "finishing", "done"] = "new"
        self._reset()

    def _reset(self) -> None:
        self.engine = TranslationEngine(
            self.languages, source=self.source_transcript, gap_ms=self.gap_ms
        )
        self.lanes = {
            lang: Lane(
                lang,
                session=self._session_config(lang),
                model=self.model,
                prices=self.prices,
                keep_audio=self.keep_audio,
                output_rate=self.output_rate,
            )
            for lang in self.languages
        }
        self._feed = Feed(
            self.lanes,
            self.engine,
            self._emit,
            rate=self.input_rate,
            channels=self.input_channels,
            clock=self._clock,
            stall_ms=self.stall_ms,
            budget=self.budget,
            spent=lambda: self.cost_usd,
            on_stop=self._stop,
        )
        self._events_queue: Queue[TranslatorEvent] = Queue()
        self._events = EventStream(self._events_queue, self._take_error)
        self._tg: TaskGroup | None = None
        self._error: BaseException | None = None
        self._error_seen = False
        self.failures: list[LanguageFailed] = []
        self.restores: list[TranslationRestored] = []
        self._streaming = False
        self._finished = Flag()
        self._pad_scope: anyio.CancelScope | None = None

    def _session_config(self, language: str) -> dict[str, Any]:
        audio_in: dict[str, Any] = {}
        if self.source_transcript:
            audio_in["transcription"] = {"model": self.transcription_model}
        if self._noise is not None:
            audio_in["noise_reduction"] = {"type": self._noise}
        audio: dict[str, Any] = {"output": {"language": language}}
        if audio_in:
            audio["input"] = audio_in
        return {"audio": audio}

    # -- results -----------------------------------------------------------------------------

    @property
    def stopped(self) -> TranslationStopped | None:
        """Set when the budget's hard stop ended the input."""
        return self._feed.stopped

    @property
    def padded_ms(self) -> float:
        """Silence the translator sent for you (stalls and the last frame), in ms."""
        return self._feed.padded_ms

    def segments(self, language: str | None = None) -> list[TranslationSegment]:
        """Final segments of ``language`` (default: the first), in spoken order."""
        return list(self.engine.segments(self._language(language)))

    @property
    def source(self) -> list[SourceSentence]:
        """Final source sentences (with ``source_transcript=True``)."""
        return list(self.engine.sentences)

    def text(self, language: str | None = None) -> str:
        """The translation into ``language`` (default: the first) so far, final sentences only."""
        return self.result().text(language)

    @property
    def input_seconds(self) -> float:
        """Seconds of input sent so far (the app's audio and any padding)."""
        return self._feed.sent_ms / 1000

    @property
    def cost_usd(self) -> Decimal | None:
        """Exact cost of all languages so far (None while a model has no price card)."""
        total = Decimal(0)
        for lane in self.lanes.values():
            cost = lane.cost_usd
            if cost is None:
                return None
            total += cost
        return total

    @property
    def cost_by_language(self) -> dict[str, Decimal | None]:
        return {lang: lane.cost_usd for lang, lane in self.lanes.items()}

    def meter(self, language: str | None = None) -> CostMeter:
        """The :class:`~realtime_kit.CostMeter` of one language's sessions."""
        return self.lanes[self._language(language)].meter

    def result(self) -> Translation:
        """Everything so far as a :class:`Translation`."""
        return Translation(
            languages=self.languages,
            segments={lang: tuple(self.engine.segments(lang)) for lang in self.languages},
            source=tuple(self.engine.sentences),
            model=self.model,
            cost_usd=self.cost_usd,
            cost_by_language=self.cost_by_language,
            input_seconds=round(self.input_seconds, 3),
            padded_ms=self.padded_ms,
            restores=tuple(self.restores),
            failures=tuple(self.failures),
            stopped=self.stopped,
        )

    def _language(self, language: str | None) -> str:
        if language is None:
            return self.languages[0]
        code = language.strip().lower()
        if code not in self.lanes:
            raise ConfigurationError(
                f"this translator has no {language!r}; it translates into "
                f"{', '.join(self.languages)}"
            )
        return code

    # -- streams -----------------------------------------------------------------------------

    def events(self) -> EventStream:
        """The event stream (one reader): partials, finals, reconnects, padding, failures."""
        return self._events

    def audio(self, language: str | None = None) -> AudioStream:
        """``language``'s translated audio as it arrives, as PCM frames at ``output_rate``."""
        lane = self.lanes[self._language(language)]
        if lane.audio_out is None:
            raise ConfigurationError("this translator was made with keep_audio=False")
        return AudioStream(lane.audio_out)

    # -- running -----------------------------------------------------------------------------

    async def __aenter__(self) -> Translator:
        if self._state != "new":
            raise ConfigurationError("a Translator runs once; make a new one")
        self._state = "open"
        self._pad_scope = anyio.CancelScope()
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        try:
            for lane in self.lanes.values():
                tg.start_soon(self._run_lane, lane)
            for lane in self.lanes.values():
                await lane.opened.wait()
            if all(lane.error is not None for lane in self.lanes.values()):
                raise self._first_failure()
            if self.fail_fast and self._error is not None:
                raise self._error
            if self.pad_stalls:
                tg.start_soon(self._pad_stalls)
        except BaseException as exc:
            self._state = "done"
            tg.cancel_scope.cancel()
            await _exit(tg, exc)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tg = self._tg
        assert tg is not None
        if exc is None:
            try:
                await self.finish()
            except BaseException as failure:
                tg.cancel_scope.cancel()
                await _exit(tg, failure)
                raise
            await _exit(tg, None)
            error = self._take_error()
            if error is not None:
                raise error
            return
        # The block failed: stop at once (what was translated so far stays in the results).
        self._state = "done"
        tg.cancel_scope.cancel()
        await _exit(tg, exc)

    async def _run_lane(self, lane: Lane) -> None:
        try:
            await lane.run(
                engine=self.engine,
                emit=self._emit,
                options=self._options,
                reconnect=self.reconnect_policy,
                rollover=self.rollover_policy,
                retention_ms=self.retention_ms,
            )
        except RealtimeKitError as exc:
            self._lane_failed(lane, exc)
        finally:
            lane.done.set()
            if all(lane.done.is_set() for lane in self.lanes.values()):
                self._events_queue.close()
                self._finished.set()

    def _lane_failed(self, lane: Lane, exc: BaseException) -> None:
        lane.error = exc
        _log.warning("translation into %s failed: %s", lane.language, exc)
        failure = LanguageFailed(lane.language, exc, f"{type(exc).__name__}: {exc}")
        self.failures.append(failure)
        self._emit([failure])
        if self.fail_fast or all(ln.error is not None for ln in self.lanes.values()):
            if self._error is None:
                self._error = exc
            for other in self.lanes.values():
                other.cancel()

    def _first_failure(self) -> BaseException:
        for lane in self.lanes.values():
            if lane.error is not None:
                return lane.error
        return ConfigurationError("no language could be opened")

    def _emit(self, events: list[TranslatorEvent]) -> None:
        for event in events:
            if isinstance(event, TranslationRestored):
                self.restores.append(event)
            self._events_queue.put(event)  # unbounded: never blocks

    def _take_error(self) -> BaseException | None:
        if self._error is not None and not self._error_seen:
            self._error_seen = True
            return self._error
        return None

    # -- input -------------------------------------------------------------------------------

    async def send_audio(self, audio: AudioInput) -> None:
        """Send audio to every language: a :class:`~realtime_kit.audio.PCMFrame` (any rate and
        channels), PCM16 bytes or a numpy array at ``input_rate``/``input_channels``.

        Waits when the connections push back. Raises:
            AudioError: not audio of a usable shape (nothing of it is sent).
            BudgetExceededError: the budget's hard stop was reached (the input is closed).
            LocalProtocolError: the translator is not open, or its input has ended.
        """
        self._require_input()
        await self._feed.send(audio)

    def stream_audio(self, source: AsyncIterable[Any], *, finish: bool = True) -> None:
        """Feed ``source`` (an async iterable of what :meth:`send_audio` takes) in the
        background; with ``finish`` (default), :meth:`finish` once it ends.

        An error reading the source ends the input like :meth:`finish` (so what was sent is
        still translated) and is then raised from the event stream and the ``async with``.
        """
        self._require_input()
        if self._streaming:
            raise LocalProtocolError("stream_audio", "a source is already streaming")
        self._streaming = True
        assert self._tg is not None
        self._tg.start_soon(self._pump, source, finish)

    async def _pump(self, source: AsyncIterable[Any], finish: bool) -> None:
        try:
            async for chunk in iterate(source):
                await self.send_audio(chunk)
        except BudgetExceededError:
            return  # reported as TranslationStopped; finishing is under way
        except Exception as exc:  # noqa: BLE001 - the app's source may fail any way it likes
            # Whatever broke the source, what was sent is still translated; the error is then
            # raised from the event stream and the async with.
            if self._error is None:
                self._error = exc
            _log.warning("the audio source failed: %s", exc)
            await self.finish()
            return
        finally:
            self._streaming = False
        if finish and self._state == "open":
            await self.finish()

    def _require_input(self) -> None:
        if self._state == "new":
            raise LocalProtocolError("send audio", "the translator is not open (async with it)")
        if self.stopped is not None:
            limit = self.budget.limit_usd if self.budget is not None else None
            raise BudgetExceededError(self.stopped.spent_usd, limit)
        if self._state != "open":
            raise LocalProtocolError("send audio", "the input has ended")
        if len(self.failures) == len(self.lanes):
            raise self._first_failure()

    async def finish(self) -> None:
        """End the input: send what is buffered (the last frame padded to 200 ms), close every
        session (``session.close``: the server flushes), and wait for the last translations
        (at most ``close_timeout``). The event and audio streams end after it.
        """
        if self._state == "new":
            raise LocalProtocolError("finish", "the translator is not open")
        if self._state != "open":
            await self._finished.wait()
            return
        self._state = "finishing"
        assert self._pad_scope is not None
        self._pad_scope.cancel()
        await self._feed.end(self._close_sessions)
        with anyio.move_on_after(self.close_timeout) as scope:
            await self._finished.wait()
        if scope.cancelled_caught:
            for lane in self.lanes.values():
                if not lane.done.is_set():
                    self._lane_failed(
                        lane,
                        LocalProtocolError(
                            "finish",
                            f"no session.closed within {self.close_timeout} s; "
                            "translations still on their way were given up",
                        ),
                    )
                    lane.cancel()
            await self._finished.wait()
        self._state = "done"

    async def _close_sessions(self) -> None:
        for lane in self.lanes.values():
            if lane.live and lane.conn is not None:
                lane.closing = True
                try:
                    await lane.close_input()
                except RealtimeKitError as exc:
                    _log.debug("%s: session.close failed: %s", lane.language, exc)

    async def _pad_stalls(self) -> None:
        assert self._pad_scope is not None
        with self._pad_scope:
            await self._feed.pad_stalls(lambda: self._state == "open")

    def _stop(self) -> None:
        """The budget's hard stop: end the input (the translations of what was sent come)."""
        assert self._tg is not None
        self._tg.start_soon(self.finish)

    async def aclose(self) -> None:
        """Stop at once, without waiting for the translations still on their way."""
        self._state = "done"
        for lane in self.lanes.values():
            lane.cancel()
        await self._finished.wait()

    async def translate(self, audio: AsyncIterable[Any]) -> Translation:
        """Translate all of ``audio`` and return the :class:`Translation`."""
        async with self:
            self.stream_audio(audio)
            async for _ in self.events():
                pass
        return self.result()


async def _exit(tg: TaskGroup, exc: BaseException | None) -> None:
    """Leave ``tg``; a group failure comes out as the error that matters."""
    try:
        await tg.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
    except BaseExceptionGroup as group:
        leaf = _first(group)
        if leaf is exc:
            return
        raise leaf from None


def _language_list(languages: LanguageList | str | Sequence[str] | None) -> LanguageList:
    if languages is None:
        return LanguageList.default()
    if isinstance(languages, LanguageList):
        return languages
    if isinstance(languages, str):
        return LanguageList.load(languages)
    return LanguageList.of(languages)
