"""The seam between a fake session and a media transport (the WebRTC answerer).

A WebSocket session carries audio inside events. A session whose peer has audio tracks (a
WebRTC call) instead plays its output into a server-side *output audio buffer* and hears its
input on a track; :class:`SessionMedia` is what the session needs from that buffer. The session
holds one in ``RealtimeSession.media`` (``None`` on a WebSocket) and feeds heard audio in
through ``RealtimeSession.input_audio``.

Imports: the standard library only.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["SessionMedia"]


class SessionMedia(Protocol):
    """A session's output audio buffer on a media transport."""

    def play(self, response_id: str, item_id: str, pcm: bytes) -> None:
        """Queue assistant audio (PCM16 24 kHz) of ``item_id`` behind what is queued.

        Sends ``output_audio_buffer.started`` when the response's audio starts playing and
        ``output_audio_buffer.stopped`` when it has drained after ``response.done``.
        """
        ...

    async def interrupt(self, *, requested: bool) -> None:
        """Barge-in, or ``output_audio_buffer.clear`` (``requested``): drop the unplayed audio,
        cut the items to what the listener heard, and send ``output_audio_buffer.cleared``
        (a barge-in with nothing playing sends nothing)."""
        ...
