"""The sans-I/O core of the Translator: transcript deltas in, sentences and aligned segments out.

A translation session streams append-only text (``session.output_transcript.delta``, and
``session.input_transcript.delta`` for the source) and audio, each stamped with ``elapsed_ms``,
and never says where a sentence ends. :class:`TranslationEngine` finds the sentences:

* a sentence ends at sentence-final punctuation once the text after it has begun (a space, or
  the next sentence's first character after a full-width stop such as ``。``) — so ``3.5`` and
  a stop at the end of a delta are not cut early; or where the output (text or audio) paused for
  ``gap_ms`` or more of input (a jump in the stamps); or at a reconnect (flagged
  ``interrupted``) or the end of the session;
* a translated sentence is *final* once the next one has begun to arrive (or the session ended):
  only then is all of its audio in, so its audio span is exact. The audio stream is split into
  consecutive spans, one per sentence; several sentences closed at once share theirs in
  proportion to their text;
* source sentences get their times from a client-side voice detector run on the audio sent
  (the transcript's stamps only bound them from above), and are paired with the translated
  sentence during whose arrival they were completed — the order in which the events arrived,
  which the interpreter's lag cannot reorder the way it can shift ``elapsed_ms``.

Times here are milliseconds on the input timeline (the caller maps ``elapsed_ms`` with the
session's offset); the events carry seconds. Nothing here awaits or does I/O.

Imports: numpy, the standard library, ``audio``, the transcriber's VAD and the sibling events.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from realtime_kit.audio import PCMFrame
from realtime_kit.transcriber._vad import EnergyVad, Turn, VadSettings
from realtime_kit.translator._events import (
    SourceFinal,
    SourcePartial,
    SourceSentence,
    TargetFinal,
    TargetPartial,
    TranslationSegment,
    TranslatorEvent,
)

__all__ = ["SpeechSpans", "TranslationEngine", "split_sentences"]

# A stop, any closing quotes or brackets after it, then whitespace: a confirmed boundary.
_STOP = r"[.!?…؟।‼⁇]+[\"'»”’)\]」』]*"
_WIDE_STOP = r"[。！？]+[\"'»”’)\]」』]*"
_BOUNDARY = re.compile(rf"(?P<stop>{_STOP}(?=\s)|{_WIDE_STOP}(?=\S))\s*")
_ENDS = re.compile(rf"(?:{_STOP}|{_WIDE_STOP})$")
_STOP_CHAR = re.compile(r"[.!?…؟।‼⁇。！？]")

DEFAULT_VAD = VadSettings(silence_ms=300)


def split_sentences(text: str) -> tuple[list[str], str]:
    """Split ``text`` at confirmed sentence boundaries: (complete sentences, the open rest).

    A stop at the very end is not confirmed (the next delta may continue a number or an
    abbreviation); after a full-width stop any following character confirms it.
    """
    done: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        sentence = text[start : match.end()].strip()
        if sentence:
            done.append(sentence)
        start = match.end()
    return done, text[start:]


def _ends_sentence(text: str) -> bool:
    return bool(_ENDS.search(text.rstrip()))


@dataclass
class _Done:
    """A sentence whose text is complete.

    ``seq`` is the arrival order of the delta that completed it (the one with its stop), not of
    the delta that confirmed the stop: pairing compares it with the other stream's.
    """

    text: str
    first_stamp: float
    last_stamp: float
    seq: int
    interrupted: bool = False


_LOOKBACK = 16  # a stop and its closing quotes, when a delta confirms them
MAX_SENTENCE = 400  # characters: a longer run without a stop is cut at a space


class _Sentences:
    """Append-only text deltas cut into sentences (see the module docstring for the rules)."""

    def __init__(self, gap_ms: float, max_chars: int = MAX_SENTENCE) -> None:
        self.gap_ms = gap_ms
        self.max_chars = max_chars
        self.text = ""
        self.first: float | None = None
        self.last = 0.0
        self.seq = 0

    @property
    def is_open(self) -> bool:
        # ``text`` never starts with whitespace: it is "" or an open sentence.
        return bool(self.text)

    def feed(self, delta: str, stamp: float, seq: int) -> tuple[list[_Done], str]:
        """Add a delta; return the sentences it completed and the delta as used."""
        old = self.text
        if (
            old
            and stamp - self.last < self.gap_ms
            and len(old) + len(delta) <= self.max_chars
            and _STOP_CHAR.search(delta) is None
            and _STOP_CHAR.search(old, max(0, len(old) - _LOOKBACK)) is None
        ):
            # The common case, a word in the middle of a sentence: nothing can end here.
            self.text = old + delta
            self.last, self.seq = stamp, seq
            return [], delta
        completed: list[_Done] = []
        if self.is_open and stamp - self.last >= self.gap_ms:
            completed.append(self._take(interrupted=False))
        old = self.text
        if not old:
            delta = delta.lstrip()
        text = old + delta
        position = 0
        # Only the new text (and a stop at the end of the old one) can hold a new boundary.
        tail = max(0, len(old) - _LOOKBACK)
        scan = _STOP_CHAR.search(delta) is not None or _STOP_CHAR.search(old, tail) is not None
        for match in _BOUNDARY.finditer(text, tail) if scan else ():
            sentence = text[position : match.end()].strip()
            in_old = match.end("stop") <= len(old)
            if sentence:
                first = self.first if self.first is not None and position == 0 else stamp
                last = self.last if in_old else stamp
                completed.append(
                    _Done(sentence, first, max(first, last), self.seq if in_old else seq)
                )
            position = match.end()
        rest = text[position:]
        if position:
            self.first = None
        if len(rest) > self.max_chars:
            # No stop for this long (an unpunctuated stream): cut at the last space, so a
            # caption never grows without bound.
            cut = rest.rfind(" ", 0, self.max_chars)
            cut = cut if cut > 0 else self.max_chars
            first = self.first if self.first is not None else stamp
            completed.append(_Done(rest[:cut].strip(), first, stamp, seq))
            rest, self.first = rest[cut:].lstrip(), None
        self.text = rest
        if self.first is None and rest:
            self.first = stamp
        self.last = stamp
        self.seq = seq
        return completed, delta

    def touch(self, stamp: float) -> None:
        """Output other than text (audio) at ``stamp``: the open sentence is still going."""
        if self.is_open:
            self.last = max(self.last, stamp)

    def close(self, *, interrupted: bool) -> _Done | None:
        """End the open sentence now (a reconnect or the end of the session)."""
        return self._take(interrupted=interrupted) if self.is_open else None

    def _take(self, *, interrupted: bool) -> _Done:
        first = self.first if self.first is not None else self.last
        done = _Done(
            self.text.strip(),
            first,
            max(first, self.last),
            self.seq,
            interrupted and not _ends_sentence(self.text),
        )
        self.text, self.first = "", None
        return done


class SpeechSpans:
    """Where the speech is in the audio sent, for placing source sentences on the timeline.

    Feed the input (PCM16 24 kHz mono) in order. Each reader (one per language's source
    transcript) :meth:`claim` s the speech heard up to a point, once: the runs that had ended by
    then, or else the part of the run under way.
    """

    def __init__(self, settings: VadSettings | None = None) -> None:
        self._vad = EnergyVad(settings or DEFAULT_VAD)
        self._turns: list[Turn] = []

    @property
    def position_ms(self) -> float:
        return self._vad.position_ms

    def push(self, frame: PCMFrame) -> None:
        self._turns += self._vad.push(frame.samples)

    def flush(self) -> None:
        turn = self._vad.flush()
        if turn is not None:
            self._turns.append(turn)

    def speech_at(self, ms: float) -> float | None:
        """Where the speech run going on at ``ms`` began, if ``ms`` falls inside one."""
        for turn in reversed(self._turns):
            if turn.end_ms <= ms:
                break
            if turn.start_ms < ms:
                return turn.start_ms
        start = self._vad.speech_start_ms
        if start is not None and start < ms <= self._vad.position_ms:
            return start
        return None

    def claim(self, until_ms: float, cursor: _Cursor) -> tuple[float, float] | None:
        """The speech heard up to ``until_ms`` not yet claimed by ``cursor``'s reader, in ms."""
        parts: list[tuple[float, float]] = []
        turns = self._turns
        index = cursor.index
        while index < len(turns) and turns[index].end_ms <= until_ms:
            turn = turns[index]
            if turn.end_ms > cursor.ms:
                parts.append((max(turn.start_ms, cursor.ms), turn.end_ms))
            index += 1
        if parts:
            cursor.index = index
        else:
            # No run has ended by then: the sentence ends inside the run under way (or inside
            # one that ended later: continuous speech with no pause at the boundary).
            start, last = self._vad.speech_start_ms, self._vad.last_speech_ms
            if index < len(turns):
                start, last = turns[index].start_ms, turns[index].end_ms
            if start is None or last is None or start >= until_ms:
                return None
            parts.append((max(start, cursor.ms), min(last, until_ms)))
        if parts[-1][1] <= parts[0][0]:
            return None
        cursor.ms = parts[-1][1]
        return parts[0][0], parts[-1][1]


@dataclass
class _Cursor:
    """How far one reader has claimed :class:`SpeechSpans`."""

    index: int = 0
    ms: float = 0.0


class _SourceTrack:
    """One session's source transcript, cut into sentences placed on the timeline."""

    def __init__(self, spans: SpeechSpans | None, gap_ms: float, *, public: bool) -> None:
        self.spans = spans
        self.cursor = _Cursor()
        self.public = public  # its events are handed out (the first language's only)
        self.text = _Sentences(gap_ms)
        self.pending: list[_Done] = []  # complete, not yet final
        self.sentences: list[SourceSentence] = []
        self.done_seq: list[int] = []  # arrival order each final sentence was completed in

    def feed(self, delta: str, stamp: float, seq: int) -> list[TranslatorEvent]:
        done, used = self.text.feed(delta, stamp, seq)
        self.pending += done
        out: list[TranslatorEvent] = []
        if self.text.is_open:
            out += self.finalize()  # a new sentence has begun: the complete ones are final
            out.append(SourcePartial(self.text.text.rstrip(), used, stamp / 1000))
        return out if self.public else []

    def finalize(self, until_seq: int | None = None) -> list[TranslatorEvent]:
        """Make complete sentences final (those completed by ``until_seq``, or all)."""
        out: list[TranslatorEvent] = []
        while self.pending and (until_seq is None or self.pending[0].seq <= until_seq):
            done = self.pending.pop(0)
            placed = None
            if self.spans is not None:
                placed = self.spans.claim(done.last_stamp, self.cursor)
            start, end = placed if placed is not None else (done.first_stamp, done.last_stamp)
            sentence = SourceSentence(
                index=len(self.sentences),
                text=done.text,
                start=start / 1000,
                end=max(end, start) / 1000,
                heard=done.last_stamp / 1000,
                interrupted=done.interrupted,
            )
            self.sentences.append(sentence)
            self.done_seq.append(done.seq)
            out.append(SourceFinal(sentence))
        return out if self.public else []

    def close(self, *, interrupted: bool) -> list[TranslatorEvent]:
        """The session ended (or was replaced): whatever is open is complete now."""
        done = self.text.close(interrupted=interrupted)
        if done is not None:
            self.pending.append(done)
        return self.finalize()


@dataclass
class _TargetTrack:
    language: str
    text: _Sentences
    pending: list[_Done] = field(default_factory=list)
    segments: list[TranslationSegment] = field(default_factory=list)
    audio_ms: float = 0.0  # translated audio received so far
    sealed_ms: float = 0.0  # where the last final segment's audio ended
    audio_stamps: list[float] = field(default_factory=list)  # stamps of audio since sealed
    source: _SourceTrack | None = None  # this session's source transcript
    claimed: int = 0  # source sentences paired so far


class TranslationEngine:
    """Sentences and aligned segments for one input translated into several languages.

    Args:
        languages: the target languages.
        source: a source transcript is expected (from one of the sessions).
        gap_ms: a jump in ``elapsed_ms`` this large ends a sentence even without punctuation.
        vad: settings of the voice detector that places source sentences (with ``source``).
    """

    def __init__(
        self,
        languages: Sequence[str],
        *,
        source: bool = False,
        gap_ms: float = 800,
        vad: VadSettings | None = None,
    ) -> None:
        self.spans = SpeechSpans(vad) if source else None
        self._targets = {
            lang: _TargetTrack(
                lang,
                _Sentences(gap_ms),
                source=_SourceTrack(self.spans, gap_ms, public=index == 0) if source else None,
            )
            for index, lang in enumerate(languages)
        }
        self._primary = languages[0]
        self._seq = 0

    # -- results -----------------------------------------------------------------------------

    @property
    def sentences(self) -> list[SourceSentence]:
        """The source sentences (as the first language's session heard them)."""
        source = self._targets[self._primary].source
        return source.sentences if source is not None else []

    def segments(self, language: str) -> list[TranslationSegment]:
        return self._targets[language].segments

    def audio_ms(self, language: str) -> float:
        return self._targets[language].audio_ms

    # -- input -------------------------------------------------------------------------------

    def input_audio(self, frame: PCMFrame) -> None:
        """The next PCM16 24 kHz mono audio sent (every language gets the same)."""
        if self.spans is not None:
            self.spans.push(frame)

    def end_input(self) -> None:
        if self.spans is not None:
            self.spans.flush()

    # -- server events -----------------------------------------------------------------------

    def source_text(self, language: str, delta: str, stamp_ms: float) -> list[TranslatorEvent]:
        """A ``session.input_transcript.delta`` of ``language``'s session (input timeline).

        Each session transcribes the source itself, so its sentences pair with its own
        translations by arrival order; only the first language's are handed out as events.
        """
        self._seq += 1
        source = self._targets[language].source
        return source.feed(delta, stamp_ms, self._seq) if source is not None else []

    def target_audio(self, language: str, nbytes: int, stamp_ms: float) -> None:
        """A ``session.output_audio.delta`` of ``nbytes`` PCM16 24 kHz bytes."""
        self._seq += 1
        track = self._targets[language]
        track.audio_ms += nbytes / 48
        track.audio_stamps.append(stamp_ms)
        track.text.touch(stamp_ms)

    def target_text(self, language: str, delta: str, stamp_ms: float) -> list[TranslatorEvent]:
        """A ``session.output_transcript.delta`` at ``stamp_ms`` (input timeline)."""
        self._seq += 1
        track = self._targets[language]
        done, used = track.text.feed(delta, stamp_ms, self._seq)
        if done:
            track.pending += done
        out: list[TranslatorEvent] = []
        if track.text.is_open:
            if track.pending:
                # The next sentence has begun: the complete ones have all their audio now.
                out += self._seal(track)
            first = track.text.first if track.text.first is not None else stamp_ms
            out.append(TargetPartial(language, track.text.text.rstrip(), used, first / 1000))
        return out

    def _seal(self, track: _TargetTrack, *, claim_all: bool = False) -> list[TranslatorEvent]:
        """Finalize the complete sentences: share out their audio, pair their sources."""
        out: list[TranslatorEvent] = []
        if not track.pending:
            return out
        pending, track.pending = track.pending, []
        span = track.audio_ms - track.sealed_ms
        weights = [max(1, len(d.text)) for d in pending]
        total = sum(weights)
        stamps = track.audio_stamps
        track.audio_stamps = []
        position = track.sealed_ms
        for number, (done, weight) in enumerate(zip(pending, weights, strict=True)):
            last = number == len(pending) - 1
            share = span - (position - track.sealed_ms) if last else span * weight / total
            sources = self._claim(track, done.seq, claim_all=claim_all and last)
            out += sources[1]
            start = min([done.first_stamp, *(stamps if number == 0 else [])])
            end = max([done.last_stamp, *(stamps if last else [])])
            end = max(end, start + share)
            segment = TranslationSegment(
                index=len(track.segments),
                language=track.language,
                text=done.text,
                target_start=start / 1000,
                target_end=end / 1000,
                audio_start=position / 1000,
                audio_end=(position + share) / 1000,
                source=sources[0],
                interrupted=done.interrupted,
            )
            position += share
            track.segments.append(segment)
            out.append(TargetFinal(segment))
        track.sealed_ms = track.audio_ms
        return out

    def _claim(
        self, track: _TargetTrack, seq: int, *, claim_all: bool
    ) -> tuple[tuple[SourceSentence, ...], list[TranslatorEvent]]:
        """The source sentences completed by the time ``seq`` arrived, not yet paired."""
        source = track.source
        if source is None:
            return (), []
        events = source.finalize(None if claim_all else seq)
        upto = len(source.sentences)
        if not claim_all:
            upto = track.claimed
            while upto < len(source.sentences) and source.done_seq[upto] <= seq:
                upto += 1
        claimed = tuple(source.sentences[track.claimed : upto])
        track.claimed = upto
        return claimed, events

    # -- session boundaries ------------------------------------------------------------------

    def restored(self, language: str) -> tuple[bool, list[TranslatorEvent]]:
        """``language``'s session was replaced: close what it left open.

        Returns whether a sentence was cut, and the events.
        """
        track = self._targets[language]
        out: list[TranslatorEvent] = []
        cut = False
        if track.source is not None:
            before = len(track.source.sentences)
            out += track.source.close(interrupted=True)
            cut = any(s.interrupted for s in track.source.sentences[before:])
        done = track.text.close(interrupted=True)
        if done is not None:
            track.pending.append(done)
            cut = cut or done.interrupted
        return cut, out + self._seal(track)

    def end_language(self, language: str) -> list[TranslatorEvent]:
        """``language``'s session has ended: its last sentences are final."""
        track = self._targets[language]
        out: list[TranslatorEvent] = []
        if track.source is not None:
            out += track.source.close(interrupted=False)
        done = track.text.close(interrupted=False)
        if done is not None:
            track.pending.append(done)
        if track.audio_ms > track.sealed_ms and not track.pending and track.segments:
            # Audio after the last sentence was sealed: it is the end of that sentence.
            extra = (track.audio_ms - track.sealed_ms) / 1000
            track.segments[-1] = replace(
                track.segments[-1], audio_end=track.segments[-1].audio_end + extra
            )
            track.sealed_ms = track.audio_ms
        return out + self._seal(track, claim_all=True)
