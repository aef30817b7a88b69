"""``realtime-kit translate``: live translation of a WAV file or the microphone.

Without ``OPENAI_API_KEY``, or with ``--offline``, it starts the embedded fake server (the
``testing`` extra) and says so: its translations are stand-ins (``[es] <the source text>``).
Captions are shown live with rich (the ``cli`` extra) in two columns, what was said and its
translation, with a progress bar for files; ``--json`` prints one JSON object per event instead.
``--out`` writes each language's translated speech as WAV, ``--srt`` its subtitles and
``--source-srt`` the source's, cue by cue (``.vtt`` names get WebVTT).

Errors are raised to :func:`realtime_kit.cli.main`, which prints them as one line.

Imports: argparse, anyio, the standard library, :mod:`realtime_kit.translator`, the transcriber's
subtitle writers and sources, the commands' shared helpers; rich and
:mod:`realtime_kit.cli._offline` lazily.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio

from realtime_kit.audio import open_wav_sink
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
from realtime_kit.errors import ConfigurationError, UnsupportedLanguageError
from realtime_kit.transcriber import SrtWriter, VttWriter, microphone_source, wav_source
from realtime_kit.transcriber._captions import _LiveWriter
from realtime_kit.translator import (
    BudgetNotice,
    InputPadded,
    LanguageFailed,
    LanguageList,
    ServerError,
    SourceFinal,
    SourcePartial,
    TargetFinal,
    TargetPartial,
    TranslationRestored,
    TranslationStopped,
    Translator,
    TranslatorEvent,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``translate`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "translate",
        help="live translation of a WAV file or the microphone",
        description=(
            "Translate a WAV file (any rate) or the microphone into one or more languages with "
            "Realtime translation sessions (gpt-realtime-translate), one per language. Without "
            "OPENAI_API_KEY, or with --offline, runs against the embedded fake server."
        ),
    )
    add_source(parser)
    parser.add_argument(
        "--to",
        action="append",
        required=True,
        metavar="LANG",
        help="a target language, e.g. es (repeat for more: one session each)",
    )
    parser.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="[LANG=]FILE",
        help="write the translated speech as WAV (plain names go to the --to languages in order)",
    )
    parser.add_argument(
        "--srt",
        action="append",
        default=[],
        metavar="[LANG=]FILE",
        help="write the translation's subtitles, live (SRT; WebVTT for a .vtt name)",
    )
    parser.add_argument(
        "--source-srt", metavar="FILE", help="write the source's subtitles, live (or .vtt)"
    )
    parser.add_argument(
        "--both", action="store_true", help="--srt cues carry the source line above the translation"
    )
    parser.add_argument(
        "--no-source", action="store_true", help="no source transcript (translations only)"
    )
    parser.add_argument(
        "--output-rate", type=int, default=24_000, metavar="HZ", help="rate of the --out files"
    )
    parser.add_argument(
        "--languages", metavar="FILE", help="a target-language list to check against"
    )
    parser.add_argument(
        "--allow-unknown-language",
        action="store_true",
        help="send a language that is not on the list anyway (the server decides)",
    )
    add_run_options(parser)
    parser.set_defaults(handler=run)


def _per_language(specs: Sequence[str], languages: Sequence[str], option: str) -> dict[str, Path]:
    """``[LANG=]FILE`` specs to a file per language (plain names in --to order)."""
    chosen: dict[str, Path] = {}
    plain: list[str] = []
    for spec in specs:
        lang, sep, path = spec.partition("=")
        if sep and lang.strip().lower() in languages:
            code = lang.strip().lower()
            if code in chosen:
                raise ConfigurationError(f"{option} names {code!r} twice")
            chosen[code] = Path(path)
        else:
            plain.append(spec)
    free = [lang for lang in languages if lang not in chosen]
    if len(plain) > len(free):
        raise ConfigurationError(
            f"more {option} files than languages to translate into ({', '.join(languages)})"
        )
    chosen.update({lang: Path(p) for lang, p in zip(free, plain, strict=False)})
    return chosen


def _writer(path: Path) -> _LiveWriter:
    return VttWriter(path) if path.suffix.lower() == ".vtt" else SrtWriter(path)


def _event_json(event: TranslatorEvent) -> dict[str, Any]:
    match event:
        case SourcePartial():
            return {"type": "source_partial", "text": event.text, "heard": event.heard}
        case SourceFinal():
            s = event.sentence
            return {"type": "source_final", "index": s.index, "start": s.start, "end": s.end,
                    "text": s.text}  # fmt: skip
        case TargetPartial():
            return {"type": "partial", "language": event.language, "text": event.text,
                    "start": event.start}  # fmt: skip
        case TargetFinal():
            g = event.segment
            return {
                "type": "final",
                "language": g.language,
                "index": g.index,
                "start": g.start,
                "end": g.end,
                "text": g.text,
                "source": g.source_text,
                "audio_start": g.audio_start,
                "audio_end": g.audio_end,
                "interrupted": g.interrupted,
            }
        case TranslationRestored():
            lost = [x.what for x in event.lost]
            return {"type": "reconnected", "language": event.language, "cause": event.cause,
                    "replayed_ms": event.replayed_ms, "lost": lost}  # fmt: skip
        case InputPadded():
            return {"type": "padded", "start": event.start, "duration_ms": event.duration_ms,
                    "reason": event.reason}  # fmt: skip
        case ServerError():
            return {"type": "server_error", "language": event.language, "code": event.code,
                    "message": event.message}  # fmt: skip
        case LanguageFailed():
            return {"type": "failed", "language": event.language, "message": event.message}
        case BudgetNotice():
            return {"type": "budget", **event.event.to_dict()}
        case TranslationStopped():
            return {"type": "stopped", "reason": event.reason}
    raise AssertionError(f"unexpected event {event!r}")


class _Display(LiveDisplay):
    """Live two-column captions with rich: said | translated, a partial line and progress."""

    def __init__(self, total_seconds: float | None, languages: Sequence[str]) -> None:
        super().__init__(total_seconds)
        self.languages = languages

    def _row(self, left: str, right: str) -> None:
        from rich.table import Table

        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(left, right)
        self.progress.console.print(grid)

    def show(self, event: TranslatorEvent, sent_seconds: float) -> None:
        match event:
            case TargetPartial() | SourcePartial():
                label = f"{event.language}: " if isinstance(event, TargetPartial) else ""
                text = event.text if len(event.text) < 60 else "…" + event.text[-59:]
                self.progress.update(self.task, description=f"[dim]{escape(label + text)}[/]")
            case TargetFinal():
                g = event.segment
                first = g.language == self.languages[0]
                source = g.source_text if first and g.source_text else ""
                when = f"[cyan]{g.start:6.2f} s[/] " if first else ""
                mark = " [red](cut)[/]" if g.interrupted else ""
                self._row(
                    f"{when}{escape(source)}", f"[green]{g.language}[/] {escape(g.text)}{mark}"
                )
                self.progress.update(self.task, description="listening…")
            case TranslationRestored():
                self.progress.console.print(
                    f"[yellow]{event.language}: {event.cause}; re-sent "
                    f"{event.replayed_ms / 1000:.1f} s of audio"
                    + (f"; lost: {'; '.join(x.what for x in event.lost)}" if event.lost else "")
                    + ("; a sentence was cut" if event.interrupted else "")
                    + "[/]"
                )
            case InputPadded() if event.reason == "stall":
                self.progress.console.print(
                    f"[dim]source stalled: {event.duration_ms / 1000:.1f} s of silence sent[/]"
                )
            case ServerError():
                self.progress.console.print(f"[red]{event.language}: {escape(event.message)}[/]")
            case LanguageFailed():
                self.progress.console.print(
                    f"[red]{event.language} failed: {escape(event.message)}[/]"
                )
            case BudgetNotice():
                self.progress.console.print(
                    f"[yellow]budget {event.event.level}: {money(event.event.spent_usd)}[/]"
                )
            case TranslationStopped():
                self.progress.console.print("[red]budget reached: stopped[/]")
        self.progress.update(self.task, completed=sent_seconds)

    def summary(self, translator: Translator) -> None:
        from rich.table import Table

        for lang in translator.languages:
            table = Table(title=f"{lang}")
            for column in ("#", "start", "end", "said", "translated"):
                table.add_column(column, justify="right" if column in "#startend" else "left")
            for g in translator.segments(lang):
                table.add_row(
                    str(g.index + 1),
                    f"{g.start:.2f}",
                    f"{g.end:.2f}",
                    escape(g.source_text or ""),
                    escape(g.text),
                )
            self.console.print(table)
        costs = ", ".join(f"{k} {money(v)}" for k, v in translator.cost_by_language.items())
        self.console.print(
            f"[bold]cost:[/] {money(translator.cost_usd)} ({costs}) for "
            f"{translator.input_seconds:.2f} s of audio into {len(translator.languages)} "
            f"language(s) with {translator.model}"
        )


async def _ticker(display: _Display, translator: Translator) -> None:
    while True:
        display.progress.update(display.task, completed=translator.input_seconds)
        await anyio.sleep(0.1)


async def _write_wav(translator: Translator, language: str, path: Path) -> None:
    async with open_wav_sink(path, translator.output_rate) as sink:
        async for frame in translator.audio(language):
            await sink.send(frame)


async def _run(args: argparse.Namespace, emit: Emit) -> int:
    offline = args.offline or not os.environ.get("OPENAI_API_KEY")
    total = file_seconds(args.file) if args.file else None
    if args.no_source and args.source_srt:
        raise ConfigurationError("--source-srt needs the source transcript (drop --no-source)")
    languages = LanguageList.load(args.languages) if args.languages else LanguageList.default()
    try:  # before anything is shown or started
        targets = [
            languages.resolve(code, allow_unknown=args.allow_unknown_language) for code in args.to
        ]
    except UnsupportedLanguageError as exc:
        raise ConfigurationError(
            f"unsupported target language {exc.language!r}; supported: "
            f"{', '.join(exc.supported)} (list from {exc.source}; --allow-unknown-language "
            "sends it anyway, --languages FILE checks against another list)"
        ) from None
    outs = _per_language(args.out, targets, "--out")
    srt_paths = _per_language(args.srt, targets, "--srt")
    display = None if args.json else _Display(total, targets)
    with ExitStack() as stack:
        options: dict[str, Any] = {}
        if offline:
            from realtime_kit.cli._offline import offline_server, sidecar_for

            reason = "--offline" if args.offline else "no OPENAI_API_KEY is set"
            known = args.file is not None and sidecar_for(args.file) is not None
            message = (
                f"OFFLINE ({reason}): using the embedded fake Realtime server, not OpenAI. "
                f"Its translations are stand-ins ('[{targets[0]}] <what was said>'); "
                + (
                    "its recognizer knows this file's sentences from the transcript next to it."
                    if known
                    else "it cannot understand speech: each sentence is heard as '[speech]'."
                )
            )
            if display is not None:
                display.note(message)
            else:
                emit({"type": "notice", "offline": True, "message": message})
            server = stack.enter_context(offline_server(args.file, instant=not args.realtime))
            options = {
                "api_key": "sk-offline-demo",
                "base_url": server.base_url,
                "clock": server.clock.wall,
            }
        translator = Translator(
            targets,
            source_transcript=not args.no_source,
            languages=languages,
            unknown_language="allow" if args.allow_unknown_language else "error",
            output_rate=args.output_rate,
            budget=budget(args.budget),
            **options,
        )
        srts = {lang: stack.enter_context(_writer(path)) for lang, path in srt_paths.items()}
        source_srt = (
            stack.enter_context(_writer(Path(args.source_srt))) if args.source_srt else None
        )
        audio: AsyncIterator[Any] = (
            microphone_source() if args.mic else wav_source(args.file, realtime=args.realtime)
        )
        if display is not None:
            stack.enter_context(display.progress)
        async with anyio.create_task_group() as tg:
            if display is not None:
                tg.start_soon(_ticker, display, translator)
            async with anyio.create_task_group() as writers, translator:
                for lang, path in outs.items():
                    writers.start_soon(_write_wav, translator, lang, path)
                translator.stream_audio(audio)
                async for event in translator.events():
                    if isinstance(event, TargetFinal) and event.language in srts:
                        cue = event.segment.cue("both" if args.both else "target")
                        srts[event.language].write(cue)
                    if isinstance(event, SourceFinal) and source_srt is not None:
                        source_srt.write(event.sentence)
                    if display is not None:
                        display.show(event, translator.input_seconds)
                    else:
                        emit(_event_json(event))
            tg.cancel_scope.cancel()
    if display is not None:
        display.summary(translator)
    else:
        emit(
            {
                "type": "summary",
                "offline": offline,
                "languages": list(translator.languages),
                "audio_seconds": translator.input_seconds,
                "padded_ms": translator.padded_ms,
                "source": [s.text for s in translator.source],
                "translations": {lang: translator.text(lang) for lang in translator.languages},
                "cost_usd": None if translator.cost_usd is None else str(translator.cost_usd),
                "cost_by_language": {
                    k: None if v is None else str(v) for k, v in translator.cost_by_language.items()
                },
            }
        )
    return 0 if not translator.failures else 1


def run(args: argparse.Namespace) -> int:
    """Run the command; returns its exit code, or raises the error that stopped it (for
    ``main`` to print as one line)."""
    return run_command(_run, args)
