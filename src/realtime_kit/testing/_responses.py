"""One model response of the fake server, from ``response.created`` to ``response.done``.

A :class:`ResponseRun` asks the brain for a reply, then streams it the way the real server does:
output items, content parts, audio deltas paced by the server clock with transcript deltas in step,
function calls with streamed arguments, the ``*.done`` events, and ``response.done`` with usage
computed from text length and audio duration (PROTOCOL.md §6). Cancelling it (``response.cancel``
or a barge-in) ends the item where the audio stopped and reports ``status: "cancelled"``.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio

from realtime_kit.testing._messages import MessageStream
from realtime_kit.testing._parts import SERVER_ERROR_MESSAGE, usage_tokens
from realtime_kit.testing._wire import SocketClosedError
from realtime_kit.testing.brain import Reply, ToolCall, TurnContext
from realtime_kit.testing.mcp import run_mcp_call

if TYPE_CHECKING:
    from realtime_kit.testing._host import SessionHost

__all__ = ["ResponseRun"]

_ARG_CHUNK = 12  # characters per function_call_arguments.delta


class ResponseRun:
    """A response in flight: start with ``task_group.start_soon(run.run)``, stop with ``cancel``."""

    def __init__(
        self,
        session: SessionHost,
        params: Mapping[str, Any],
        *,
        in_conversation: bool,
        input_items: Sequence[Mapping[str, Any]],
    ) -> None:
        self.s = session
        self.id = session.wire.ids.new("resp")
        self.params = params
        self.in_conversation = in_conversation
        self.input_items = list(input_items)
        self.scope = anyio.CancelScope()
        self.cancel_reason: str | None = None
        self.output: list[dict[str, Any]] = []
        self.status = "in_progress"
        self.status_details: dict[str, Any] | None = None
        self._open: MessageStream | None = None  # the message being streamed
        self._open_call: tuple[dict[str, Any], int] | None = None  # a call being streamed
        self.first_audio_at: float | None = None  # server clock at the first audio delta
        self.audio_ms = 0.0  # assistant audio sent, all messages
        self.out_text_tokens = 0
        self.out_audio_tokens = 0
        self.done = anyio.Event()

    # configuration -------------------------------------------------------------------------
    def _cfg(self, key: str, default: Any = None) -> Any:
        if key in self.params:
            return self.params[key]
        return self.s.config.get(key, default)

    @property
    def modalities(self) -> list[str]:
        return list(self._cfg("output_modalities", ["audio"]))

    def audio_out(self) -> dict[str, Any]:
        """The response's effective ``audio.output`` (format and voice)."""
        session_out = dict(self.s.config["audio"]["output"])
        override = (self.params.get("audio") or {}).get("output") or {}
        return {
            "format": override.get("format", session_out["format"]),
            "voice": override.get("voice", session_out["voice"]),
        }

    def response_object(self, *, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "object": "realtime.response",
            "id": self.id,
            "status": self.status,
            "status_details": self.status_details,
            "output": self.output,
            "conversation_id": self.s.conversation_id if self.in_conversation else None,
            "output_modalities": self.modalities,
            "max_output_tokens": self._cfg("max_output_tokens", "inf"),
            "audio": {"output": self.audio_out()},
            "usage": usage,
            "metadata": self.params.get("metadata"),
        }

    def note_audio(self, ms: float) -> None:
        """``ms`` more of assistant audio went out."""
        if self.first_audio_at is None:
            self.first_audio_at = self.s.parts.clock.now()
        self.audio_ms += ms

    def playback_end(self) -> float | None:
        """When a listener playing at real rate from the first delta would finish (server clock)."""
        if self.first_audio_at is None:
            return None
        return self.first_audio_at + self.audio_ms / 1000

    # lifecycle -----------------------------------------------------------------------------
    def cancel(self, reason: str) -> None:
        """Stop the response; it ends with ``status: "cancelled"`` and ``reason``."""
        if self.cancel_reason is None:
            self.cancel_reason = reason
            self.scope.cancel()

    async def run(self) -> None:
        try:
            await self._run()
        except SocketClosedError:
            self.s.end()
        finally:
            self.s.response_finished(self)
            self.done.set()

    async def _run(self) -> None:
        s = self.s
        await s.send({"type": "response.created", "response": self.response_object()})
        await s.send({"type": "rate_limits.updated", "rate_limits": s.rate_limits()})
        await s.response_started(self)
        failure = None
        for faults in s.faults:
            failure = failure or faults.take_response_failure()
        if failure is not None:
            self.status = "failed"
            error = {k: failure[k] for k in ("type", "code", "message")}
            self.status_details = {"type": "failed", "error": error}
        with self.scope:
            if failure is None:
                await self._produce_or_fail()
        if self.cancel_reason is not None:
            self.status = "cancelled"
            self.status_details = {"type": "cancelled", "reason": self.cancel_reason}
        if self._open is not None:
            await self._open.finish("incomplete")
            self._open = None
        if self._open_call is not None:  # a call cut off while its arguments streamed
            item, index = self._open_call
            self._open_call = None
            item["status"] = "incomplete"
            await self.done_item(item, index)
        if self.status == "in_progress":
            self.status = "completed"
        done = {"type": "response.done", "response": self.response_object(usage=self._usage())}
        # The response is over for the session *before* its response.done leaves: a client
        # that answers response.done with response.create at once must not be refused.
        s.response_finished(self)
        if self.in_conversation:
            s.arm_idle(self.playback_end())
        await s.send(done)
        await s.after_response(self)

    async def _produce_or_fail(self) -> None:
        try:
            await self._produce(self.s.parts.brain.reply(self._context()))
        except SocketClosedError:
            raise
        except Exception as exc:  # noqa: BLE001 - the response fails, as a real one can
            # A failure while producing (the fake's bug, or a user's brain or synthesizer
            # raising) fails this response the way the real service reports its own errors.
            self.s.parts.internal_errors.record(f"producing response {self.id}", exc)
            self.status = "failed"
            self.status_details = {
                "type": "failed",
                "error": {"type": "server_error", "code": None, "message": SERVER_ERROR_MESSAGE},
            }

    def _context(self) -> TurnContext:
        user_text = ""
        tool_output: str | None = None
        for item in self.input_items:
            if item.get("type") == "function_call_output":
                tool_output = str(item.get("output", ""))
            elif item.get("type") == "message" and item.get("role") == "user":
                user_text = self.s.item_text(item)
                tool_output = None
        tools = self._cfg("tools", []) or []
        return TurnContext(
            user_text=user_text,
            tool_output=tool_output,
            items=self.input_items,
            tools=[t for t in tools if isinstance(t, Mapping)],
            instructions=str(self._cfg("instructions", "")),
            tool_choice=self._cfg("tool_choice", "auto"),
            mcp_tools=tuple(self.s.mcp_tools),
            model=str(self.s.config.get("model") or ""),
        )

    async def _produce(self, reply: Reply) -> None:
        index = await self._approved_mcp_calls()
        if index:
            # The approved call's result is in; the model answers from it in this response.
            reply = self.s.parts.brain.reply(self._context_with(self.output[-1].get("output")))
        messages = reply.all_messages
        for text in messages:
            if not await self._message_within_budget(text, index):
                return
            index += 1
        for call in reply.tool_calls:
            if call.name in self.s.mcp_tools:
                output = await run_mcp_call(self, call, index)
                index += 1
                if output is not None and not messages:
                    follow = self.s.parts.brain.reply(self._context_with(output))
                    for text in follow.all_messages:
                        if not await self._message_within_budget(text, index):
                            return
                        index += 1
                continue
            await self._function_call(call, index)
            index += 1

    async def _message_within_budget(self, text: str, index: int) -> bool:
        """Speak one message, cut at ``max_output_tokens``; False when the budget ran out."""
        limit = self._cfg("max_output_tokens", "inf")
        left = limit - self.out_text_tokens if isinstance(limit, int) else None
        if left is not None and usage_tokens(text) > left:
            self.status = "incomplete"
            self.status_details = {"type": "incomplete", "reason": "max_output_tokens"}
            if left > 0:
                await self._speak(text[: left * 4], index)
            return False
        await self._speak(text, index)
        return True

    async def _speak(self, text: str, index: int) -> None:
        stream = MessageStream(self, text, index)
        self._open = stream
        await stream.play()
        self._open = None

    def _context_with(self, tool_output: str | None) -> TurnContext:
        base = self._context()
        return TurnContext(
            user_text=base.user_text,
            tool_output=tool_output or "",
            items=base.items,
            tools=base.tools,
            instructions=base.instructions,
            tool_choice="none",
            mcp_tools=base.mcp_tools,
            model=base.model,
        )

    async def _approved_mcp_calls(self) -> int:
        """Run calls approved by the newest ``mcp_approval_response`` items; returns how many."""
        index = 0
        for item in self.input_items[::-1]:
            if item.get("type") != "mcp_approval_response":
                break
            request = self.s.items.get(str(item.get("approval_request_id")))
            if request is None or request.get("type") != "mcp_approval_request":
                continue
            if item.get("approve"):
                call = ToolCall(str(request["name"]), str(request["arguments"]))
                await run_mcp_call(self, call, index, approval_request_id=str(request["id"]))
                index += 1
        return index

    # output items --------------------------------------------------------------------------
    async def add_item(self, item: dict[str, Any], index: int) -> None:
        self.output.append(item)
        # In the conversation before anyone hears of it: a client may act on the id at once.
        prev = self.s.insert_item(item, None) if self.in_conversation else None
        await self.s.send(
            {
                "type": "response.output_item.added",
                "response_id": self.id,
                "output_index": index,
                "item": item,
            }
        )
        if self.in_conversation:
            await self.s.send(
                {"type": "conversation.item.added", "previous_item_id": prev, "item": item}
            )

    async def done_item(self, item: dict[str, Any], index: int) -> None:
        await self.s.send(
            {
                "type": "response.output_item.done",
                "response_id": self.id,
                "output_index": index,
                "item": item,
            }
        )
        if self.in_conversation and item["id"] in self.s.items:  # not if the client deleted it
            await self.s.send(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": self.s.previous_of(item["id"]),
                    "item": item,
                }
            )

    async def _function_call(self, call: ToolCall, index: int) -> None:
        s = self.s
        arguments = call.arguments_json()
        call_id = s.wire.ids.new("call", 16)
        item: dict[str, Any] = {
            "id": s.wire.ids.new("item"),
            "type": "function_call",
            "object": "realtime.item",
            "status": "in_progress",
            "name": call.name,
            "call_id": call_id,
            "arguments": "",
        }
        with anyio.CancelScope(shield=True):
            await self.add_item(item, index)
        self._open_call = (item, index)
        common = {"response_id": self.id, "item_id": item["id"], "output_index": index}
        for i in range(0, len(arguments), _ARG_CHUNK):
            await s.send(
                {
                    "type": "response.function_call_arguments.delta",
                    **common,
                    "call_id": call_id,
                    "delta": arguments[i : i + _ARG_CHUNK],
                }
            )
        await s.send(
            {
                "type": "response.function_call_arguments.done",
                **common,
                "call_id": call_id,
                "name": call.name,
                "arguments": arguments,
            }
        )
        self.out_text_tokens += usage_tokens(call.name + arguments)
        item["status"] = "completed"
        item["arguments"] = arguments
        self._open_call = None
        await self.done_item(item, index)

    # usage ---------------------------------------------------------------------------------
    def _usage(self) -> dict[str, Any]:
        s = self.s
        text_in = usage_tokens(str(self._cfg("instructions", "")))
        tools = self._cfg("tools", []) or []
        text_in += sum(usage_tokens(str(t)) for t in tools)
        audio_in = 0
        for item in self.input_items:
            t, a = s.item_input_tokens(item)
            text_in += t
            audio_in += a
        total_in = text_in + audio_in
        # Each response re-bills the conversation; what the previous one already saw is cached,
        # in 64-token blocks, audio first.
        cached = (min(s.last_input_tokens, total_in) // 64) * 64 if self.in_conversation else 0
        cached_audio = min(cached, audio_in)
        cached_text = cached - cached_audio
        if self.in_conversation:
            s.last_input_tokens = total_in
        total_out = self.out_text_tokens + self.out_audio_tokens
        return {
            "total_tokens": total_in + total_out,
            "input_tokens": total_in,
            "output_tokens": total_out,
            "input_token_details": {
                "text_tokens": text_in,
                "audio_tokens": audio_in,
                "image_tokens": 0,
                "cached_tokens": cached,
                "cached_tokens_details": {
                    "text_tokens": cached_text,
                    "audio_tokens": cached_audio,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {
                "text_tokens": self.out_text_tokens,
                "audio_tokens": self.out_audio_tokens,
            },
        }
