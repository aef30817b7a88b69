"""``realtime-kit talk``: a voice agent conversation from a caller's WAV file (or the microphone).

Without ``OPENAI_API_KEY``, or with ``--offline``, it talks to the embedded fake server, which
plays a small demo agent (a weather line with one tool) and recognizes the bundled caller's
sentences from the file's sidecar. The two-sided transcript is printed live, with tool calls,
interruptions, each reply's latency and cost, and the total.

By default the caller's sentences are sent one turn at a time, each as soon as the agent has
finished its reply (fast, and deterministic); ``--realtime`` streams the file at speaking pace,
as a live caller would, so a caller who talks over the agent barges in.

Imports: argparse, anyio, the standard library, :mod:`realtime_kit.conversation`; rich and the
offline agent (the ``testing`` extra) lazily.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anyio

from realtime_kit.audio import PCMFrame, read_wav
from realtime_kit.conversation import (
    AssistantTranscript,
    Conversation,
    ConversationClosed,
    ConversationError,
    ConversationEvent,
    Interrupted,
    Reconnected,
    ResponseDone,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscript,
)
from realtime_kit.errors import ConfigurationError, MissingExtraError, RealtimeKitError

__all__ = ["register", "run"]

_DEMO_INSTRUCTIONS = (
    "You are the weather line. Answer briefly. Use get_weather for any question about the weather."
)


def register(subparsers: Any) -> None:
    """Add the ``talk`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "talk",
        help="a voice-agent conversation from a caller's WAV file",
        description=(
            "Talk to a voice agent (gpt-realtime-2) with a caller's WAV file or the microphone and "
            "print the two-sided transcript with cost. Without OPENAI_API_KEY, or with --offline, "
            "runs a demo agent on the embedded fake server."
        ),
        epilog="example: realtime-kit talk examples/data/caller.wav --offline",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="the caller: a PCM WAV file (any rate)")
    source.add_argument("--mic", action="store_true", help="the default microphone (Ctrl-C ends)")
    parser.add_argument(
        "--model", default="gpt-realtime-2", help="realtime model (default %(default)s)"
    )
    parser.add_argument("--instructions", help="the agent's instructions (online)")
    parser.add_argument("--voice", help="the agent's voice")
    parser.add_argument("--offline", action="store_true", help="use the embedded fake server")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="stream the file at speaking pace (barge-in possible)",
    )
    parser.add_argument("--json", action="store_true", help="JSON lines instead of the display")
    parser.add_argument("--budget", metavar="USD", help="wrap up, then hang up, at this spend")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The sub-command: one clear line and exit code 1 or 2 on failure, never a traceback."""
    try:
        return anyio.run(_talk, args)
    except KeyboardInterrupt:
        return 130
    except BaseExceptionGroup as group:
        _, rest = group.split(BrokenPipeError)
        if rest is not None:
            raise
        # The reader went away (``| head``): stop quietly, like any well-behaved filter.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (replaces the closed pipe until exit)
        return 0
    except ConfigurationError as exc:
        print(f"realtime-kit talk: {exc}", file=sys.stderr)
        return 2
    except (RealtimeKitError, OSError) as exc:
        print(f"realtime-kit talk: {exc}", file=sys.stderr)
        return 1


async def _talk(args: argparse.Namespace) -> int:
    offline = args.offline or not os.environ.get("OPENAI_API_KEY")
    show = _Printer(as_json=args.json)
    turns = _turns(args.file) if args.file else None
    budget = _budget(args.budget)
    options: dict[str, Any] = {"model": args.model, "voice": args.voice, "budget": budget}
    if offline:
        from realtime_kit.cli._talk_offline import demo_server, demo_tools

        show.note(
            "OFFLINE: a demo agent on the embedded fake Realtime server, not OpenAI"
            + (" (it recognizes this file's sentences from its sidecar)." if args.file else ".")
        )
        server = demo_server(args.file)
        async with server:
            conv = Conversation(
                api_key="sk-offline",
                base_url=server.base_url,
                instructions=_DEMO_INSTRUCTIONS,
                tools=demo_tools(),
                playback="reported" if not args.realtime else "wall_clock",
                **options,
            )
            return await _converse(conv, args, turns, show)
    conv = Conversation(
        instructions=args.instructions,
        playback="reported" if not args.realtime else "wall_clock",
        **options,
    )
    return await _converse(conv, args, turns, show)


async def _converse(
    conv: Conversation, args: argparse.Namespace, turns: list[PCMFrame] | None, show: _Printer
) -> int:
    async with conv, anyio.create_task_group() as tg:
        tg.start_soon(_discard_audio, conv, not args.realtime)
        if turns is None:
            tg.start_soon(_microphone, conv)
        elif args.realtime:
            tg.start_soon(_stream, conv, turns)
        else:
            tg.start_soon(_turn_by_turn, conv, turns)
        async for event in conv.events():
            show.event(event)
            if isinstance(event, ConversationClosed):
                break
        tg.cancel_scope.cancel()
    show.total(conv)
    return 0 if conv.error is None else 1


async def _discard_audio(conv: Conversation, report: bool) -> None:
    """Nobody listens here: read the agent's audio, and (turn by turn) count it as heard."""
    async for chunk in conv.audio():
        if report:
            conv.played(chunk.frame)


async def _turn_by_turn(conv: Conversation, turns: list[PCMFrame]) -> None:
    silence = PCMFrame.silence(800)
    for turn in turns:
        answered = _Answered(conv)
        try:
            await conv.send_audio(turn)
            await conv.send_audio(silence)
            with anyio.move_on_after(60):
                await answered.event.wait()
        finally:
            answered.close()
    await conv.aclose()


class _Answered:
    """Set once the agent answered the turn being sent (its reply, after any tool calls)."""

    def __init__(self, conv: Conversation) -> None:
        self.event = anyio.Event()
        self.close = conv.on(ResponseDone, self._on_done)

    def _on_done(self, event: ResponseDone) -> None:
        calls_tools = any(o.get("type") == "function_call" for o in _outputs(event))
        if not calls_tools and not event.out_of_band:
            self.event.set()


def _outputs(event: ResponseDone) -> list[dict[str, Any]]:
    raw = event.raw.model_dump(mode="json", exclude_unset=True)
    output = raw.get("response", {}).get("output") or []
    return [o for o in output if isinstance(o, dict)]


async def _stream(conv: Conversation, turns: list[PCMFrame]) -> None:
    from realtime_kit.audio import paced

    async def frames() -> AsyncIterator[PCMFrame]:
        for turn in turns:
            for chunk in turn.chunks(20):
                yield chunk
            for chunk in PCMFrame.silence(1500, rate=turn.rate).chunks(20):
                yield chunk

    await conv.stream_audio(paced(frames()))
    await anyio.sleep(3)  # the last reply
    await conv.aclose()


async def _microphone(conv: Conversation) -> None:
    from realtime_kit.audio import Microphone

    try:
        async with Microphone() as mic:
            await conv.stream_audio(mic)
    except ImportError as exc:
        raise MissingExtraError("audio", exc.name or "sounddevice") from exc


def _turns(path: str) -> list[PCMFrame]:
    """The caller's sentences (from the sidecar when there is one), else the whole file."""
    try:
        audio = read_wav(path).to_mono()
    except (OSError, ValueError, EOFError) as exc:
        raise ConfigurationError(f"cannot read {path!r} as a PCM WAV file: {exc}") from exc
    from realtime_kit.cli._offline import sidecar_for

    sidecar = sidecar_for(path)
    if sidecar is None:
        return [audio]
    try:
        spans = json.loads(sidecar.read_text(encoding="utf-8"))["sentences"]
        return [
            audio.slice_ms(max(0.0, s["start"] * 1000 - 200), s["end"] * 1000 + 100) for s in spans
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"unreadable transcript sidecar {sidecar}: {exc}") from exc


def _budget(value: str | None) -> Any:
    if value is None:
        return None
    from realtime_kit.cost import Budget

    try:
        return Budget(Decimal(value))
    except ArithmeticError as exc:
        raise ConfigurationError(f"--budget must be a number of dollars, not {value!r}") from exc


class _Printer:
    """The live two-sided transcript (rich when installed), or JSON lines."""

    def __init__(self, *, as_json: bool) -> None:
        self._json = as_json
        self._console: Any = None
        if not as_json:
            try:
                from rich.console import Console
            except ImportError:
                self._console = None
            else:
                self._console = Console(highlight=False)

    def _say(self, text: str, style: str = "") -> None:
        if self._console is not None:
            from rich.markup import escape

            self._console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))
        else:
            print(text)

    def note(self, text: str) -> None:
        if self._json:
            print(json.dumps({"type": "note", "text": text}))
        else:
            self._say(text, "dim")

    def event(self, event: ConversationEvent) -> None:
        if self._json:
            record = _json_of(event)
            if record is not None:
                print(json.dumps(record), flush=True)
            return
        match event:
            case UserTranscript():
                self._say(f"caller: {event.text}", "bold cyan")
            case AssistantTranscript() if not event.out_of_band:
                self._say(f"agent:  {event.text}", "bold green")
            case ToolCallStarted():
                self._say(f"        → {event.name}({event.arguments})", "yellow")
            case ToolCallFinished():
                self._say(f"        ← {event.name}: {event.status} {event.output}", "yellow")
            case Interrupted():
                self._say(
                    f"        (interrupted after {event.heard_ms} ms: “{event.heard_text}”)",
                    "magenta",
                )
            case ResponseDone() if not event.out_of_band:
                latency = event.latency.to_first_audio if event.latency else None
                parts = [f"${event.cost_usd:.4f}" if event.cost_usd is not None else "unpriced"]
                if latency is not None:
                    parts.append(f"first audio {latency * 1000:.0f} ms after the caller stopped")
                self._say(f"        [{event.status}; {'; '.join(parts)}]", "dim")
            case Reconnected():
                self._say(f"        (session replaced: {event.cause})", "magenta")
            case ConversationError():
                self._say(f"        error: {event.message}", "red")
            case _:
                return

    def total(self, conv: Conversation) -> None:
        cost = conv.cost_usd
        if self._json:
            print(json.dumps({"type": "total", "cost_usd": str(cost), "log": conv.log.to_dict()}))
        else:
            self._say(
                f"total: ${cost:.6f} for {len(conv.log.turns())} turns ({conv.meter.model})", "bold"
            )


def _json_of(event: ConversationEvent) -> dict[str, Any] | None:
    match event:
        case UserTranscript():
            return {"type": "user", "item_id": event.item_id, "text": event.text}
        case AssistantTranscript():
            return {"type": "assistant", "item_id": event.item_id, "text": event.text}
        case ToolCallStarted():
            return {"type": "tool_call", "name": event.name, "arguments": event.arguments}
        case ToolCallFinished():
            return {
                "type": "tool_result",
                "name": event.name,
                "status": event.status,
                "output": event.output,
            }
        case Interrupted():
            return {
                "type": "interrupted",
                "item_id": event.item_id,
                "heard_ms": event.heard_ms,
                "heard_text": event.heard_text,
            }
        case ResponseDone():
            return {
                "type": "response",
                "status": event.status,
                "cost_usd": None if event.cost_usd is None else str(event.cost_usd),
                "to_first_audio_s": event.latency.to_first_audio if event.latency else None,
            }
        case ConversationError():
            return {"type": "error", "message": event.message, "code": event.code}
        case _:
            return None
