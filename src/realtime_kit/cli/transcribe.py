"""``realtime-kit transcribe``: live captions of a WAV file or the microphone.

Without ``OPENAI_API_KEY``, or with ``--offline``, it starts the embedded fake server (the
``testing`` extra) and says so. Captions are shown live with rich (the ``cli`` extra), with a
progress bar for files; ``--json`` prints one JSON object per caption event instead. ``--srt`` and
``--vtt`` write subtitles as segments become final. Text that comes from the user or the model
(captions, the transcript, error messages) is escaped before rich sees it, so ``[speech]`` or
``[bold]`` in a caption is shown as written, never taken for markup.

Errors are raised to :func:`realtime_kit.cli.main`, which prints them as one line.

Imports: argparse, anyio, the standard library, :mod:`realtime_kit.transcriber`; rich and
:mod:`realtime_kit.cli._offline` lazily.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import anyio

from realtime_kit.cli._common import (
    Emit,
    LiveDisplay,
    add_run_options,
    add_source,
    budget,
    escape,
    file_seconds,
    money,
    run_command,
)
from realtime_kit.transcriber import (
    TRANSCRIPTION_MODELS,
    Caption,
    CaptionFailed,
    FinalCaption,
    PartialCaption,
    SrtWriter,
    Transcriber,
    TranscriptionRestored,
    TranscriptionStopped,
    VttWriter,
    microphone_source,
    wav_source,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``transcribe`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transcribe",
        help="live captions of a WAV file or the microphone",
        description=(
            "Transcribe a WAV file (any rate) or the microphone with a Realtime transcription "
            "session. Without OPENAI_API_KEY, or with --offline, runs against the embedded fake "
            "server."
        ),
    )
    add_source(parser)
    parser.add_argument(
        "--model",
        default="gpt-realtime-whisper",
        choices=TRANSCRIPTION_MODELS,
        metavar="MODEL",
        help="transcription model (default: %(default)s; one of: "
        + ", ".join(TRANSCRIPTION_MODELS)
        + ")",
    )
    parser.add_argument("--language", help="ISO-639-1 code of the speech")
    parser.add_argument("--srt", metavar="FILE", help="write SRT subtitles, live")
    parser.add_argument("--vtt", metavar="FILE", help="write WebVTT subtitles, live")
    add_run_options(parser)
    parser.set_defaults(handler=run)


def _event_json(caption: Caption) -> dict[str, Any]:
    match caption:
        case PartialCaption():
            return {
                "type": "partial",
                "item_id": caption.item_id,
                "text": caption.text,
                "start": caption.start,
            }
        case FinalCaption():
            s = caption.segment
            return {
                "type": "final",
                "index": s.index,
                "item_id": s.item_id,
                "start": s.start,
                "end": s.end,
                "text": s.text,
            }
        case CaptionFailed():
            return {"type": "failed", "item_id": caption.item_id, "message": caption.message}
        case TranscriptionRestored():
            return {"type": "reconnected", "replayed_ms": caption.replayed_ms}
        case TranscriptionStopped():
            return {"type": "stopped", "reason": caption.reason}
    raise AssertionError(f"unexpected caption {caption!r}")


def _billed_seconds(transcriber: Transcriber) -> Decimal | None:
    """Audio seconds the server billed (per-minute models), or None for token-priced ones."""
    lines = [line for line in transcriber.meter.lines() if line.unit == "seconds"]
    return sum((line.quantity for line in lines), Decimal(0)) if lines else None


def _cost_line(transcriber: Transcriber) -> str:
    """What was billed and why it may differ from the audio's length (plain text)."""
    audio = f"{transcriber.input_seconds:.2f} s of audio"
    billed = _billed_seconds(transcriber)
    if billed is None:
        return f"{money(transcriber.cost_usd)} for {transcriber.model}, {audio}"
    heard = Decimal(str(round(transcriber.input_seconds, 3)))
    text = f"{money(transcriber.cost_usd)} for {transcriber.model}: "
    text += f"{billed.normalize():f} s billed for {audio}"
    if billed > heard:
        text += " (the server bills each commit's audio rounded up to a whole second)"
    elif billed < heard:
        text += " (audio that was never committed is not billed)"
    return text


class _Display(LiveDisplay):
    """Live captions with rich: finals printed as they land, the partial line and a progress bar."""

    def show(self, caption: Caption, sent_seconds: float) -> None:
        match caption:
            case PartialCaption():
                text = caption.text if len(caption.text) < 60 else "…" + caption.text[-59:]
                self.progress.update(self.task, description=f"[dim]{escape(text)}[/]")
            case FinalCaption():
                s = caption.segment
                self.progress.console.print(
                    f"[cyan]{s.start:7.2f}–{s.end:6.2f} s[/]  {escape(s.text)}", soft_wrap=True
                )
                self.progress.update(self.task, description="listening…")
            case CaptionFailed():
                self.progress.console.print(
                    f"[red]could not transcribe: {escape(caption.message)}[/]"
                )
            case TranscriptionRestored():
                self.progress.console.print(
                    f"[yellow]reconnected; re-sent {caption.replayed_ms / 1000:.1f} s of audio[/]"
                )
            case TranscriptionStopped():
                self.progress.console.print("[red]budget reached: stopped[/]")
        self.progress.update(self.task, completed=sent_seconds)

    def summary(self, transcriber: Transcriber) -> None:
        from rich.table import Table

        table = Table(title="segments")
        for column in ("#", "start", "end", "text"):
            table.add_column(column, justify="right" if column != "text" else "left")
        for s in transcriber.segments:
            table.add_row(str(s.index + 1), f"{s.start:.2f}", f"{s.end:.2f}", escape(s.text))
        self.console.print(table)
        self.console.print(f"[bold]transcript:[/] {escape(transcriber.transcript)}")
        self.console.print(f"[bold]cost:[/] {escape(_cost_line(transcriber))}")
        self.console.print(str(transcriber.meter), markup=False)


async def _ticker(display: _Display, transcriber: Transcriber) -> None:
    while True:
        display.progress.update(display.task, completed=transcriber.sent_seconds)
        await anyio.sleep(0.1)


async def _run(args: argparse.Namespace, emit: Emit) -> int:
    offline = args.offline or not os.environ.get("OPENAI_API_KEY")
    total = file_seconds(args.file) if args.file else None
    display = None if args.json else _Display(total)
    with ExitStack() as stack:
        api_key: str | None = None
        base_url: str | None = None
        if offline:
            from realtime_kit.cli._offline import offline_server, sidecar_for

            reason = "--offline" if args.offline else "no OPENAI_API_KEY is set"
            known = args.file is not None and sidecar_for(args.file) is not None
            message = (
                f"OFFLINE ({reason}): using the embedded fake Realtime server, not OpenAI. "
                + (
                    "Its recognizer knows this file's sentences from the transcript next to it."
                    if known
                    else "It cannot understand speech: each turn is captioned '[speech]'."
                )
            )
            if display is not None:
                display.note(message)
            else:
                emit({"type": "notice", "offline": True, "message": message})
            server = stack.enter_context(offline_server(args.file))
            api_key, base_url = "sk-offline-demo", server.base_url
        transcriber = Transcriber(
            args.model,
            language=args.language,
            api_key=api_key,
            base_url=base_url,
            budget=budget(args.budget),
        )
        srt = stack.enter_context(SrtWriter(args.srt)) if args.srt else None
        vtt = stack.enter_context(VttWriter(args.vtt)) if args.vtt else None
        audio: AsyncIterator[Any] = (
            microphone_source() if args.mic else wav_source(args.file, realtime=args.realtime)
        )
        if display is not None:
            stack.enter_context(display.progress)
        async with anyio.create_task_group() as tg:
            if display is not None:
                tg.start_soon(_ticker, display, transcriber)
            async with transcriber.stream(audio) as captions:
                async for caption in captions:
                    if isinstance(caption, FinalCaption):
                        for writer in (srt, vtt):
                            if writer is not None:
                                writer.write(caption.segment)
                    if display is not None:
                        display.show(caption, transcriber.sent_seconds)
                    else:
                        emit(_event_json(caption))
            tg.cancel_scope.cancel()
    if display is not None:
        display.summary(transcriber)
    else:
        emit(
            {
                "type": "summary",
                "model": transcriber.model,
                "offline": offline,
                "audio_seconds": transcriber.input_seconds,
                "billed_seconds": _json_number(_billed_seconds(transcriber)),
                "transcript": transcriber.transcript,
                "segments": [
                    {"start": s.start, "end": s.end, "text": s.text} for s in transcriber.segments
                ],
                "cost_usd": None if transcriber.cost_usd is None else str(transcriber.cost_usd),
            }
        )
    return 0


def _json_number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns 0, or raises the error that stopped it (for ``main`` to print)."""
    return run_command(_run, args)
