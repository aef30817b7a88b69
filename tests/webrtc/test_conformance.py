"""The transport conformance suite, run on the WebRTC transport over a loopback pair."""

from __future__ import annotations

import pytest

from realtime_kit.errors import ConnectionClosedError, LocalProtocolError
from realtime_kit.testing import check_transport
from realtime_kit.testing.webrtc import loopback_webrtc_pair
from realtime_kit.transports.webrtc import candidate_addresses

pytestmark = pytest.mark.anyio


async def test_webrtc_transport_passes_check_transport() -> None:
    await check_transport(loopback_webrtc_pair)


async def test_the_pair_offers_and_answers_loopback_candidates_only() -> None:
    async with loopback_webrtc_pair() as (transport, _peer):
        for sdp in (transport.offer_sdp, transport.answer_sdp):
            addresses = candidate_addresses(sdp)
            assert addresses, "no candidates at all"
            assert all(a.startswith("127.") for a in addresses), addresses


async def test_capabilities_say_media_rides_on_tracks_and_the_limit_is_64_kib() -> None:
    async with loopback_webrtc_pair() as (transport, _peer):
        caps = transport.capabilities
        assert (caps.name, caps.audio_in_band, caps.server_playback) == ("webrtc", False, True)
        assert caps.close_codes is False
        assert caps.max_message_bytes == 65536
        with pytest.raises(LocalProtocolError, match="65536"):
            transport.try_send_text(b'"' + b"x" * 65536 + b'"')


async def test_a_binary_message_is_the_peers_mistake_and_the_next_text_still_arrives() -> None:
    async with loopback_webrtc_pair() as (transport, peer):
        assert peer._channel is not None
        peer._channel.send(b"\x00\x01")
        await peer.send_text('{"type":"after"}')
        with pytest.raises(Exception, match="binary") as info:
            await transport.receive_text()
        assert not isinstance(info.value, ConnectionClosedError)
        assert await transport.receive_text() == '{"type":"after"}'
