"""A simulated caller: speaks into a :class:`~realtime_kit.Conversation` and listens to it.

A :class:`SimulatedUser` has a mouth and an ear:

* the **mouth** sends speech — synthesized text (the fake server's ``speak``, which its
  recognizer hears back exactly), a WAV file, or raw audio — followed by trailing silence so
  the server's VAD ends the turn (or, in push-to-talk sessions, between ``start_turn`` and
  ``end_turn``). It speaks as fast as possible, or at real pace on a clock you choose
  (``pace=``: a :class:`~realtime_kit.testing.RealClock`, or a
  :class:`~realtime_kit.testing.FakeClock` that a test moves);
* the **ear** is a :class:`~realtime_kit.testing.listener.SimulatedListener` on a
  :class:`~realtime_kit.testing.FakeClock` of its own. Give it to the conversation as
  ``playback=user.listener``. The ear clock moves only while the user listens: waiting for a
  reply plays everything that arrived; ``barge_in_after_ms=N`` plays exactly N ms of the
  agent's reply, then the user starts talking. While the user talks, the ear stands still, so
  the conversation truncates the agent at exactly the position the user had heard.

Everything the user waits for is a condition on the conversation's events (a reply has started
after the user's turn was committed, no response or tool is running, nothing is left to hear),
never a sleep, so a test using it does not depend on the machine's speed.

Imports: the standard library, public ``realtime_kit.audio``, ``realtime_kit.conversation``
and ``realtime_kit.errors``, and sibling modules ``_user_events``, ``clock`` and ``listener``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

from realtime_kit.audio import API_RATE, PCMFrame, Resampler, read_wav
from realtime_kit.conversation import AssistantTurn, Conversation
from realtime_kit.errors import ConfigurationError, LocalProtocolError
from realtime_kit.testing._user_events import Activity, AgentReply, Silence, SpokenTurn
from realtime_kit.testing.clock import Clock, FakeClock
from realtime_kit.testing.listener import SimulatedListener

__all__ = ["AgentReply", "Silence", "SimulatedUser", "Speech", "SpokenTurn", "load_speech"]


@runtime_checkable
class _Speaks(Protocol):
    def speak(self, text: str) -> bytes: ...


@runtime_checkable
class _Synthesizes(Protocol):
    def synthesize(self, text: str) -> bytes: ...


Speech: TypeAlias = str | bytes | PCMFrame | os.PathLike[str] | Silence
"""One part of an utterance: text (synthesized), PCM16 24 kHz bytes, a frame at any rate, a WAV
file path, or a :class:`Silence`."""


def load_speech(path: str | os.PathLike[str]) -> PCMFrame:
    """A WAV file as mono PCM16 at 24 kHz (the API rate: sent to the server byte for byte).

    Raises:
        ConfigurationError: the file is missing or not a PCM WAV file.
    """
    try:
        frame = read_wav(path).to_mono()
    except (OSError, ValueError, EOFError) as exc:
        raise ConfigurationError(
            f"cannot read {os.fspath(path)!r} as a PCM WAV file: {exc}"
        ) from exc
    if frame.rate != API_RATE:
        resampler = Resampler(frame.rate, API_RATE)
        frame = PCMFrame.concat([resampler.process(frame), resampler.flush()])
    return frame


class SimulatedUser:
    """A caller for tests: speaks into a conversation and listens through :attr:`listener`.

    ::

        user = SimulatedUser(voice=server)
        async with Conversation(..., playback=user.listener) as conv:
            user.attach(conv)
            reply = await user.ask("What is the weather in Paris?")
            await user.say("Thanks!", barge_in_after_ms=800)   # talks over the next reply

    Args:
        voice: what turns text into speech: the fake server (its recognizer then hears the text
            exactly), a :class:`~realtime_kit.testing.SpeechBank`, a
            :class:`~realtime_kit.testing.Synthesizer` such as
            :class:`~realtime_kit.testing.EspeakSynthesizer`, or ``text -> PCM16 24 kHz``.
        pace: speak at real pace on this clock (None: as fast as possible). A
            :class:`~realtime_kit.testing.RealClock` paces in real time; a
            :class:`~realtime_kit.testing.FakeClock` paces on the test's clock.
        chunk_ms: the size of each paced chunk.
        trailing_silence_ms: silence after each turn, so server VAD ends it (default: the
            session's ``silence_duration_ms`` + 500, at least 800).
        output_latency_ms: the listener's device latency (audio is heard this much later).
        reply_timeout: seconds (real time) to wait for the agent before ``TimeoutError``.
    """

    def __init__(
        self,
        *,
        voice: _Speaks | _Synthesizes | Callable[[str], bytes] | None = None,
        pace: Clock | None = None,
        chunk_ms: float = 20.0,
        trailing_silence_ms: float | None = None,
        output_latency_ms: float = 0.0,
        reply_timeout: float = 30.0,
    ) -> None:
        if chunk_ms <= 0:
            raise ConfigurationError("chunk_ms must be positive")
        if trailing_silence_ms is not None and trailing_silence_ms < 0:
            raise ConfigurationError("trailing_silence_ms cannot be negative")
        if output_latency_ms < 0:
            raise ConfigurationError("output_latency_ms cannot be negative")
        if reply_timeout <= 0:
            raise ConfigurationError("reply_timeout must be positive")
        self._voice = voice
        self._pace = pace
        self._chunk_ms = chunk_ms
        self._trailing_ms = trailing_silence_ms
        self._latency_ms = output_latency_ms
        self.reply_timeout = reply_timeout
        self.ear = FakeClock(auto_advance=False)
        """The ear's clock: it moves only while the user listens."""
        self.listener = SimulatedListener(self.ear.now, output_latency_ms=output_latency_ms)
        """The playback sink to give the conversation (``playback=user.listener``)."""
        self.turns: list[SpokenTurn] = []
        """Every turn spoken so far."""
        self._conv: Conversation | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._agent = Activity(self.turns)
        self._heard_at_attach = 0.0

    # -- wiring ----------------------------------------------------------------------------------

    def attach(self, conversation: Conversation) -> SimulatedUser:
        """Speak into and listen to ``conversation`` (open, playing to :attr:`listener`).

        Raises:
            ConfigurationError: the conversation plays its audio somewhere else.
            LocalProtocolError: the conversation is not open.
        """
        if conversation.closed:
            raise LocalProtocolError("attach a simulated user", "the conversation is closed")
        sink = conversation.playback
        if sink is not None and sink is not self.listener:
            raise ConfigurationError(
                "the conversation plays its audio elsewhere: create it with"
                " Conversation(..., playback=user.listener)"
            )
        self.detach()
        self._conv = conversation
        self._unsubscribe = self._agent.subscribe(conversation)
        self._heard_at_attach = self._heard_total()
        return self

    def detach(self) -> None:
        """Stop following the conversation's events."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._conv = None

    @property
    def conversation(self) -> Conversation:
        """The attached conversation."""
        if self._conv is None:
            raise LocalProtocolError("use the simulated user", "it is not attached (attach(conv))")
        return self._conv

    @property
    def heard_ms(self) -> float:
        """Agent audio this user has heard since it was attached."""
        return self._heard_total() - self._heard_at_attach

    # -- speaking --------------------------------------------------------------------------------

    async def say(
        self,
        *parts: Speech,
        barge_in_after_ms: float | None = None,
        pause_before_ms: float = 0.0,
        trailing_silence_ms: float | None = None,
    ) -> SpokenTurn:
        """Speak one turn (the parts in order), then the trailing silence; returns the turn.

        Args:
            parts: what to say (see :data:`Speech`).
            barge_in_after_ms: first listen until the agent has been heard for this many ms
                since this user's previous turn, then talk over it. If the agent finishes
                sooner, the user talks once it has finished (``barged_in`` stays False).
            pause_before_ms: listen (and keep the microphone open) this long before talking.
            trailing_silence_ms: override the silence that ends the turn.

        Raises:
            ConfigurationError: nothing to say, text without a ``voice``, an unreadable WAV.
            TimeoutError: the agent did not get far enough for the barge-in in time.
        """
        conv = self.conversation
        if barge_in_after_ms is not None and barge_in_after_ms < 0:
            raise ConfigurationError("barge_in_after_ms cannot be negative")
        if pause_before_ms < 0:
            raise ConfigurationError("pause_before_ms cannot be negative")
        audio, text = self._render(parts)
        # The confirmed session says how turns end (VAD or push-to-talk, silence duration).
        await self._wait(lambda: conv.session is not None or conv.closed, "the session")
        if barge_in_after_ms is not None:
            await self._hear_until(barge_in_after_ms)
        if pause_before_ms > 0:
            self._hear_for(pause_before_ms)
            await self._send(PCMFrame.silence(pause_before_ms))
        previous = self.turns[-1]._heard_mark if self.turns else self._heard_at_attach
        turn = SpokenTurn(
            index=len(self.turns) + 1,
            text=text,
            audio_ms=sum(frame.duration_ms for frame in audio),
            barge_in_after_ms=barge_in_after_ms,
            heard_before_ms=self._heard_total() - previous,
        )
        self.turns.append(turn)
        push_to_talk = self._push_to_talk()
        if push_to_talk:
            await conv.start_turn()
        for frame in audio:
            await self._send(frame)
        if push_to_talk:
            turn.push_to_talk = True
            # Marked before the commit goes out: the reply can only start after it.
            self._agent.mark_stopped(turn)
            await conv.end_turn()
        else:
            await self._send(PCMFrame.silence(self._trailing(trailing_silence_ms)))
        turn._heard_mark = self._heard_total()
        turn._frames_mark = len(self.listener.frames)
        return turn

    async def ask(
        self,
        *parts: Speech,
        barge_in_after_ms: float | None = None,
        pause_before_ms: float = 0.0,
        trailing_silence_ms: float | None = None,
    ) -> AgentReply:
        """:meth:`say` the parts (same options), then :meth:`wait_for_reply`."""
        await self.say(
            *parts,
            barge_in_after_ms=barge_in_after_ms,
            pause_before_ms=pause_before_ms,
            trailing_silence_ms=trailing_silence_ms,
        )
        return await self.wait_for_reply()

    async def pause(self, ms: float) -> None:
        """Stay quiet for ``ms``: listen (the ear moves on) with the microphone open."""
        if ms < 0:
            raise ConfigurationError("a pause cannot be negative")
        self._hear_for(ms)
        await self._send(PCMFrame.silence(ms))

    # -- listening -------------------------------------------------------------------------------

    async def wait_for_reply(self) -> AgentReply:
        """Listen until the agent has answered the last turn and every word of it was heard.

        The reply is over when the turn was committed, a response started after that, and no
        response, tool call or tool follow-up is left, with nothing left to hear. Without a
        turn yet, it waits for the agent's first words (a greeting) in the same way.

        Raises:
            TimeoutError: the agent did not finish within :attr:`reply_timeout` seconds of
                real time; the message says what was missing.
        """
        turn = self.turns[-1] if self.turns else None
        mark = turn._heard_mark if turn is not None else self._heard_at_attach
        await self._wait(self._reply_over, "the agent's reply")
        reply = self._reply(turn, mark)
        if turn is not None:
            turn.reply = reply
        return reply

    async def _hear_until(self, target_ms: float) -> bool:
        """Hear the agent for ``target_ms`` since this user's last turn; False if it stopped."""
        mark = self.turns[-1]._heard_mark if self.turns else self._heard_at_attach
        frames_mark = self.turns[-1]._frames_mark if self.turns else 0
        reached = False

        def heard_enough() -> bool:
            nonlocal reached
            while True:
                heard = self._heard_total() - mark
                spoke = len(self.listener.frames) > frames_mark  # (N = 0: once it starts)
                if spoke and heard >= target_ms - 1e-6:
                    reached = True
                    # Talk once the audio being heard has fully arrived (the ear stays where it
                    # is): the heard words are then cut from the whole transcript, every run.
                    return (
                        self._agent.closed
                        or not self._agent.responding
                        or self._arrived(frames_mark)
                    )
                queued = self.listener.queued_ms
                if queued <= 0 or not self._may_hear():
                    return self._reply_over(hear=False)
                # Never past the trigger: the ear moves by at most what is still missing.
                self.ear.advance((target_ms - heard) / 1000)

        await self._wait(heard_enough, f"{target_ms:g} ms of the agent's reply")
        return reached

    def _arrived(self, frames_mark: int) -> bool:
        """Whether every agent item heard since ``frames_mark`` has all its audio."""
        clock = self.listener.clock
        for item_id in {item_id for item_id, _ in self.listener.frames[frames_mark:]}:
            try:
                if not clock.position(item_id).done:
                    return False
            except KeyError:
                continue
        return True

    def _hear_for(self, ms: float) -> None:
        self.ear.advance(ms / 1000)

    def _hear_all(self) -> None:
        """Let the listener play everything it holds (the ear moves on)."""
        while (queued := self.listener.queued_ms) > 0:
            self.ear.advance((queued + self._latency_ms) / 1000)

    def _heard_total(self) -> float:
        self.listener.sync()
        return sum(self.listener.heard.values())

    def _reply_over(self, *, hear: bool = True) -> bool:
        return self._agent.closed or self._reply_complete(hear=hear)

    def _may_hear(self) -> bool:
        """Whether the ear may move: not while the server still hears the user talking (the
        user talks until the server's VAD ends its turn; only then does it listen again)."""
        turn = self.turns[-1] if self.turns else None
        return turn is None or (not turn._open and turn._stopped_at is not None)

    def _reply_complete(self, *, hear: bool = True) -> bool:
        if hear and not self._agent.closed and self._may_hear():
            self._hear_all()
        if self._agent.busy or self.listener.queued_ms > 0:
            return False
        return self._agent.answered(self.turns[-1] if self.turns else None)

    async def _wait(self, condition: Callable[[], bool], what: str) -> None:
        try:
            await self._agent.wait(condition, what, self.reply_timeout)
        except TimeoutError as exc:
            missing = self._agent.missing(self.turns[-1] if self.turns else None)
            missing.append(f"{self.listener.queued_ms:.0f} ms of audio unheard")
            raise TimeoutError(f"{exc}: {'; '.join(missing)}") from None

    def _reply(self, turn: SpokenTurn | None, mark: float) -> AgentReply:
        if turn is not None:
            response_ids = tuple(turn.response_ids)
        else:
            response_ids = tuple(rid for _, rid, _ in self._agent.started)
        chosen = set(response_ids)
        entries = [
            e
            for e in self.conversation.log.entries
            if isinstance(e, AssistantTurn) and e.response_id in chosen
        ]
        heard = " ".join(e.text.strip() for e in entries if e.text.strip() and not e.deleted)
        generated = " ".join(e.generated_text.strip() for e in entries if e.generated_text.strip())
        agent = self._agent
        calls = tuple(
            done for call_id, done in agent.finished.items() if agent.calls.get(call_id) in chosen
        )
        latency = next(
            (
                agent.latencies[rid]
                for rid in response_ids
                if rid in agent.latencies and agent.latencies[rid].to_first_audio is not None
            ),
            None,
        )
        return AgentReply(
            turn.index if turn is not None else None,
            response_ids,
            self._heard_total() - mark,
            heard,
            generated,
            calls,
            latency,
            self._reply_complete(hear=False),
        )

    # -- sending ---------------------------------------------------------------------------------

    def _render(self, parts: Sequence[Speech]) -> tuple[list[PCMFrame], str | None]:
        if not parts:
            raise ConfigurationError("say() needs something to say")
        frames: list[PCMFrame] = []
        words: list[str] = []
        for part in parts:
            if isinstance(part, Silence):
                if part.ms < 0:
                    raise ConfigurationError("a Silence cannot be negative")
                frames.append(PCMFrame.silence(part.ms))
            elif isinstance(part, str):
                if not part.strip():
                    raise ConfigurationError("say() cannot speak empty text")
                frames.append(PCMFrame.from_bytes(self._synthesize(part)))
                words.append(part.strip())
            elif isinstance(part, bytes):
                frames.append(PCMFrame.from_bytes(part))
            elif isinstance(part, PCMFrame):
                frames.append(part)
            elif isinstance(part, os.PathLike):
                frames.append(load_speech(part))
            else:
                raise ConfigurationError(
                    f"cannot speak a {type(part).__name__}: give text, PCM16 bytes, a PCMFrame,"
                    " a WAV path or a Silence"
                )
        only_text = len(words) == sum(1 for p in parts if not isinstance(p, Silence))
        return frames, (" ".join(words) if words and only_text else None)

    def _synthesize(self, text: str) -> bytes:
        voice = self._voice
        if voice is None:
            raise ConfigurationError(
                "SimulatedUser needs voice= (the fake server, a SpeechBank or a function) to"
                " speak text"
            )
        if isinstance(voice, _Speaks):
            pcm = voice.speak(text)
        elif isinstance(voice, _Synthesizes):
            pcm = voice.synthesize(text)
        elif callable(voice):
            pcm = voice(text)
        else:
            raise ConfigurationError(
                f"voice= must be the fake server, a SpeechBank, a synthesizer or a function,"
                f" not a {type(voice).__name__}"
            )
        if not isinstance(pcm, bytes):
            raise ConfigurationError(f"the voice returned {type(pcm).__name__}, not PCM16 bytes")
        return pcm

    async def _send(self, frame: PCMFrame) -> None:
        conv = self.conversation
        if frame.num_samples == 0:
            return
        if self._pace is None:
            await conv.send_audio(frame)
            return
        start = self._pace.now()
        sent_ms = 0.0
        for chunk in frame.chunks(self._chunk_ms):
            await conv.send_audio(chunk)
            sent_ms += chunk.duration_ms
            await self._pace.pace_until(start + sent_ms / 1000)

    def _trailing(self, override: float | None) -> float:
        if override is not None:
            return override
        if self._trailing_ms is not None:
            return self._trailing_ms
        session = self.conversation.session or {}
        turn = ((session.get("audio") or {}).get("input") or {}).get("turn_detection") or {}
        silence = turn.get("silence_duration_ms") if isinstance(turn, dict) else None
        return max(800.0, float(silence) + 500.0) if isinstance(silence, (int, float)) else 1000.0

    def _push_to_talk(self) -> bool:
        session = self.conversation.session or {}
        audio_in = (session.get("audio") or {}).get("input") or {}
        return "turn_detection" in audio_in and audio_in["turn_detection"] is None

    def __repr__(self) -> str:
        return f"SimulatedUser(turns={len(self.turns)}, heard_ms={self.heard_ms:.0f})"
