"""ToolSet construction (duplicates, MCP pass-through, validation), the call and result records,
output serialisation and the docstring reader. No event loop needed."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Any

import pytest
from pydantic import BaseModel

from realtime_kit.conversation import (
    Tool,
    ToolCallRequest,
    ToolContext,
    ToolOutcome,
    ToolResult,
    ToolSet,
    tool,
)
from realtime_kit.conversation._calls import describe_exception, redact_secrets
from realtime_kit.conversation._docstrings import parse_docstring
from realtime_kit.conversation._tools import serialise_output
from realtime_kit.errors import ConfigurationError, RemoteProtocolError, ToolOutputError
from realtime_kit.events import (
    FunctionCallItem,
    McpTool,
    ResponseFunctionCallArgumentsDoneEvent,
    decode_server_event,
)

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz"
MCP = {"type": "mcp", "server_label": "wiki", "server_url": "https://mcp.example/sse"}


@tool
def get_weather(city: str) -> str:
    """Weather."""
    return city


@tool
async def get_time(zone: str) -> str:
    """Time."""
    return zone


# --- construction -------------------------------------------------------------------------------


def test_definitions_list_functions_then_mcp_servers() -> None:
    def plain(x: int) -> int:
        """Plain function, converted."""
        return x

    tools = ToolSet([get_weather, plain, MCP, get_time])
    assert list(tools) == ["get_weather", "plain", "get_time"]
    assert len(tools) == 3
    assert isinstance(tools["plain"], Tool)
    assert "plain" in tools
    assert [d["name"] for d in tools.definitions if d["type"] == "function"] == [
        "get_weather",
        "plain",
        "get_time",
    ]
    assert tools.definitions[-1] == MCP
    assert not tools.requires_approval
    assert ToolSet().definitions == []


def test_definitions_are_copies() -> None:
    tools = ToolSet([get_weather, MCP])
    tools.definitions[0]["name"] = "x"
    tools.definitions[1]["server_label"] = "x"
    tools.mcp[0]["server_url"] = "x"
    assert tools.definitions == [get_weather.definition, MCP]


def test_tool_sets_combine() -> None:
    base = ToolSet([get_weather, MCP])
    combined = ToolSet([base, get_time])
    assert list(combined) == ["get_weather", "get_time"]
    assert combined.mcp == [MCP]
    assert list(ToolSet(base)) == ["get_weather"]


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([get_weather, get_weather], "'get_weather' is used twice"),
        ([MCP, dict(MCP)], "server_label 'wiki' is used twice"),
        ([{"type": "function", "name": "f", "parameters": {}}], "without its Python function"),
        ([42], r"tools\[0\]: int is not a tool"),
        ([{"server_label": "x", "server_url": "u"}], "type 'mcp'"),
        ([{"type": "mcp", "server_url": "u"}], "non-empty server_label"),
        ([{"type": "mcp", "server_label": " ", "server_url": "u"}], "non-empty server_label"),
        ([{"type": "mcp", "server_label": "x"}], r"exactly one of .* \(found: none\)"),
        (
            [{"type": "mcp", "server_label": "x", "server_url": "u", "connector_id": "c"}],
            r"found: server_url, connector_id",
        ),
    ],
)
def test_bad_entries_are_refused(entries: list[Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        ToolSet(entries)


def test_a_single_function_instead_of_a_list_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="a list of tools"):
        ToolSet(get_weather)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="a list of tools"):
        ToolSet(MCP)  # type: ignore[arg-type]


def test_mcp_secrets_stay_out_of_reprs_and_errors() -> None:
    entry = {
        **MCP,
        "authorization": SECRET,
        "headers": {"X-Key": SECRET},
        "require_approval": "never",
    }
    tools = ToolSet([get_weather, entry])
    assert repr(tools) == "ToolSet(['get_weather'], mcp=['wiki'])"
    assert tools.definitions[1]["authorization"] == SECRET  # the session needs it
    broken = {**entry, "headers": {"X-Key": [SECRET]}}  # not a string
    with pytest.raises(ConfigurationError) as caught:
        ToolSet([broken])
    assert "MCP tool 'wiki': headers.X-Key" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_an_mcp_model_is_accepted() -> None:
    model = McpTool(server_label="drive", connector_id="connector_googledrive")
    tools = ToolSet([model])
    assert tools.mcp == [
        {"type": "mcp", "server_label": "drive", "connector_id": "connector_googledrive"}
    ]


def test_set_options_are_checked() -> None:
    for value in (0, -1, float("inf"), True):
        with pytest.raises(ConfigurationError, match="default_timeout"):
            ToolSet(default_timeout=value)
        with pytest.raises(ConfigurationError, match="filler_delay"):
            ToolSet(filler_delay=value)
    with pytest.raises(ConfigurationError, match="filler_delay"):
        ToolSet(filler_delay=None)  # type: ignore[arg-type]
    assert ToolSet(default_timeout=None).default_timeout is None


def test_requires_approval_sees_predicates() -> None:
    checked = Tool.from_function(get_weather.function, name="w", needs_approval=lambda r: False)
    assert ToolSet([checked]).requires_approval


# --- requests and records -----------------------------------------------------------------------


def test_a_request_from_the_arguments_done_event_and_from_an_item() -> None:
    event = decode_server_event(
        json.dumps(
            {
                "type": "response.function_call_arguments.done",
                "event_id": "e1",
                "response_id": "resp_1",
                "item_id": "item_1",
                "output_index": 0,
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city": "Oslo"}',
            }
        )
    )
    assert isinstance(event, ResponseFunctionCallArgumentsDoneEvent)
    request = ToolCallRequest.from_event(event)
    expected = ToolCallRequest("call_1", "get_weather", '{"city": "Oslo"}', "item_1", "resp_1")
    assert request == expected
    item = FunctionCallItem(id="item_1", call_id="call_1", name="get_weather", arguments="{}")
    assert ToolCallRequest.from_item(item, response_id="resp_1").call_id == "call_1"
    with pytest.raises(RemoteProtocolError):
        ToolCallRequest.from_item(FunctionCallItem(name="x", arguments="{}"))


def test_a_result_gives_its_output_item_and_a_log_record() -> None:
    result = ToolResult(
        call_id="call_1",
        name="boom",
        arguments="{}",
        outcome=ToolOutcome.ERROR,
        output='{"error": "x"}',
        started=1.0,
        finished=3.5,
        exception=RuntimeError(f"token={SECRET}"),
    )
    item = result.output_item()
    assert (item.type, item.call_id) == ("function_call_output", "call_1")
    assert item.output == result.output
    record = result.to_dict()
    assert record["duration"] == 2.5
    assert record["outcome"] == "error"
    assert record["error"] == "RuntimeError: token=[redacted]"
    json.dumps(record)


def test_the_context_is_small_and_keeps_extras_read_only() -> None:
    ctx = ToolContext(ToolCallRequest("c", "n", "{}"), {"k": 1})
    assert "_cancel" not in repr(ctx)
    assert not ctx.cancelled
    assert not ctx.wait_cancelled(0)
    ctx.cancel()
    assert ctx.cancelled
    assert ctx.wait_cancelled(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key {SECRET} here", "key [redacted] here"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
        ("https://bob:hunter2@db.example/x", "https://[redacted]@db.example/x"),
        ("GET /v1?api_key=XYZ&x=1", "GET /v1?api_key=[redacted]&x=1"),
        ('{"password": "pw1", "user": "me"}', '{"password": "[redacted]", "user": "me"}'),
        ("no secret in task-force or desk-lamp", "no secret in task-force or desk-lamp"),
    ],
)
def test_secrets_are_redacted(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


def test_exception_descriptions_are_one_capped_line() -> None:
    assert describe_exception(ValueError("bad\n  value")) == "ValueError: bad value"
    assert describe_exception(KeyError()) == "KeyError"
    long = describe_exception(RuntimeError("x" * 20000))
    assert len(long) == 500
    assert long.endswith("…")
    near_the_cap = describe_exception(RuntimeError("y" * 480 + " " + SECRET))
    assert "sk-" not in near_the_cap  # redacted before the cut, not cut into a shorter key

    class UnprintableError(Exception):
        def __str__(self) -> str:
            raise RuntimeError("broken __str__")

    assert describe_exception(UnprintableError()) == "UnprintableError: <message could not be read>"


# --- serialisation ------------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"


class Reply(BaseModel):
    text: str
    when: datetime.date


@dataclasses.dataclass
class Pair:
    a: int
    b: list[str]


@pytest.mark.parametrize(
    ("value", "output"),
    [
        ("as is", "as is"),
        ("", ""),
        (None, "null"),
        (3, "3"),
        (2.5, "2.5"),
        (True, "true"),
        ({"k": [1, "x"]}, '{"k":[1,"x"]}'),
        ([Colour.RED], '["red"]'),
        (Reply(text="hi", when=datetime.date(2026, 1, 2)), '{"text":"hi","when":"2026-01-02"}'),
        (Pair(1, ["z"]), '{"a":1,"b":["z"]}'),
        ({"inf": float("inf")}, '{"inf":"Infinity"}'),
        ("ünïcode ✓", "ünïcode ✓"),
    ],
)
def test_outputs_are_strings_or_json(value: object, output: str) -> None:
    assert serialise_output(value, tool="t") == output


def test_what_json_cannot_hold_is_a_typed_error() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    for value in (object(), loop, b"\xff", {"f": lambda: 1}):
        with pytest.raises(ToolOutputError) as caught:
            serialise_output(value, tool="t", call_id="c")
        assert (caught.value.tool, caught.value.call_id) == ("t", "c")


# --- docstrings ---------------------------------------------------------------------------------


def test_google_sphinx_and_numpy_docstrings() -> None:
    google = parse_docstring(
        """Find flights.

        Args:
            origin (str): where from,
                as an IATA code.
            **filters: ignored extras.

        Raises:
            ValueError: never mentioned to the model.
        """
    )
    assert google.description == "Find flights."
    assert google.params == {"origin": "where from, as an IATA code.", "filters": "ignored extras."}

    sphinx = parse_docstring(
        """Find flights.

        :param origin: where from
        :param str dest: where to
            (IATA).
        :type dest: str
        :returns: flights
        """
    )
    assert sphinx.params == {"origin": "where from", "dest": "where to (IATA)."}

    numpy = parse_docstring(
        """Find flights.

        Parameters
        ----------
        origin, dest : str
            airport codes
        when : date, optional
            departure day

        Examples
        --------
        >>> find("OSL", "CDG")
        """
    )
    assert numpy.description == "Find flights."
    assert numpy.params == {
        "origin": "airport codes",
        "dest": "airport codes",
        "when": "departure day",
    }


def test_docstrings_without_sections() -> None:
    assert parse_docstring(None).description is None
    assert parse_docstring("   ").params == {}
    info = parse_docstring("Say: hello there.\n\nUse it like this: call it.")
    assert info.description == "Say: hello there.\n\nUse it like this: call it."
    assert info.params == {}


# --- abandoned worker threads -------------------------------------------------------------------


def test_the_thread_tracker_counts_only_running_abandoned_threads() -> None:
    from realtime_kit.conversation._runner import ThreadTracker, _ThreadState

    tracker = ThreadTracker()
    never_started = _ThreadState()
    assert not tracker.give_up(never_started)
    assert not tracker.starting(never_started)  # given up first: the function must not run
    assert tracker.running == 0

    running = _ThreadState()
    assert tracker.starting(running)
    assert tracker.give_up(running)
    assert tracker.running == 1
    tracker.finished(running)
    assert tracker.running == 0

    done_in_time = _ThreadState()
    assert tracker.starting(done_in_time)
    tracker.finished(done_in_time)
    assert not tracker.give_up(done_in_time)
    assert tracker.running == 0
