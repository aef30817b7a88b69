"""SDP facts and ICE plumbing for the WebRTC transport (and the test answerers that mirror the
API): loopback-only host candidates, candidate addresses, the data channel message limit, and a
polite hang-up.

aioice gathers host candidates from every interface except 127.0.0.1, in a module function;
this module wraps that function once so that :func:`host_candidates` can narrow the addresses
for the calls made inside it (a context variable: other tasks and threads are untouched).

Imports: aiortc, aioice and the standard library.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import re
from collections.abc import Iterator, Sequence

import aioice.ice
from aiortc import RTCDataChannel, RTCPeerConnection

__all__ = [
    "DEFAULT_MAX_MESSAGE",
    "candidate_addresses",
    "close_politely",
    "host_candidates",
    "max_message_size",
    "strip_max_message_size",
]

DEFAULT_MAX_MESSAGE = 65536
"""RFC 8841: a peer that advertises no ``max-message-size`` takes 64 KiB."""
_CLOSE_GRACE_S = 1.0

# -- host candidates ---------------------------------------------------------------------------

_HOSTS: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "realtime_kit_webrtc_hosts", default=None
)


def _install_host_filter() -> None:
    current = aioice.ice.get_host_addresses
    if getattr(current, "_realtime_kit", False):
        return
    original = current

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        chosen = _HOSTS.get()
        if chosen is None:
            return list(original(use_ipv4, use_ipv6))
        return [a for a in chosen if (use_ipv6 if ":" in a else use_ipv4)]

    host_addresses._realtime_kit = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = host_addresses


_install_host_filter()


@contextlib.contextmanager
def host_candidates(addresses: Sequence[str] | None) -> Iterator[None]:
    """Within this block (this task and what it starts), offer host candidates on
    ``addresses`` only (``None``: every interface, aioice's default).

    aioice gathers when a local description is set, so wrap ``setLocalDescription``.
    """
    if addresses is not None:
        for address in addresses:
            ipaddress.ip_address(address)  # ValueError for a non-address, before any use
    token = _HOSTS.set(tuple(addresses) if addresses is not None else None)
    try:
        yield
    finally:
        _HOSTS.reset(token)


# -- SDP facts ---------------------------------------------------------------------------------


def candidate_addresses(sdp: str) -> list[str]:
    """The connection addresses of every ``a=candidate`` line in ``sdp``."""
    found = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            if len(fields) > 4:
                found.append(fields[4])
    return found


_MAX_MESSAGE = re.compile(r"^a=max-message-size:(\d+)\s*$", re.MULTILINE)


def max_message_size(sdp: str) -> int | None:
    """The data channel message limit the peer advertises in ``sdp`` (RFC 8841): ``None`` for
    no limit (it says 0), 64 KiB when it says nothing."""
    match = _MAX_MESSAGE.search(sdp)
    if match is None:
        return DEFAULT_MAX_MESSAGE
    value = int(match.group(1))
    return value or None


def strip_max_message_size(sdp: str) -> str:
    """``sdp`` without its ``a=max-message-size`` line (the API's answer has none, so a peer
    takes 64 KiB; test answerers mirror that)."""
    return "\r\n".join(
        line for line in sdp.split("\r\n") if not line.startswith("a=max-message-size:")
    )


async def close_politely(
    pc: RTCPeerConnection, channels: Sequence[RTCDataChannel], grace: float = _CLOSE_GRACE_S
) -> None:
    """Close ``channels`` once what they queued is out, then the peer connection.

    A data channel close is a stream reset that the peer processes after the data before it,
    so a message sent just before hanging up still arrives; aiortc's ``close()`` alone aborts
    the association at once.
    """
    open_channels = [c for c in channels if c.readyState == "open"]
    if open_channels:
        closed = asyncio.Event()
        remaining = set(open_channels)

        def one_closed(channel: RTCDataChannel) -> None:
            remaining.discard(channel)
            if not remaining:
                closed.set()

        for channel in open_channels:
            channel.on("close", lambda c=channel: one_closed(c))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                while any(c.bufferedAmount for c in open_channels):  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                for channel in open_channels:
                    channel.close()
                await closed.wait()
    await pc.close()
