"""Client settings shared by the REST client and ``connect()``: key, base URL, headers.

The API key comes from the argument or ``OPENAI_API_KEY``; the base URL from the argument,
``OPENAI_BASE_URL``, or ``https://api.openai.com/v1``. The key is never part of a repr.

Imports: the standard library and :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from realtime_kit.errors import ConfigurationError

__all__ = ["DEFAULT_BASE_URL", "ClientSettings"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_USER_AGENT = "realtime-kit/0.1 (python)"


def _check_base_url(url: str) -> None:
    """Refuse a base URL that could never be connected to, naming what is wrong with it.

    Raises:
        ConfigurationError: not http(s)/ws(s), no host, a bad port, a malformed IPv6 address,
            or whitespace in the host.
    """
    shown = re.sub(r"//[^/@]*@", "//[redacted]@", url)  # user:password@ stays out of errors
    try:
        parts = urlsplit(url)
        port = parts.port  # parsed lazily: a bad port raises only here
    except ValueError as exc:
        raise ConfigurationError(f"base URL {shown!r} is malformed: {exc}") from None
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        raise ConfigurationError(f"base URL must be http(s) or ws(s), got {shown!r}")
    if not parts.hostname:
        raise ConfigurationError(f"base URL {shown!r} has no host")
    if any(char.isspace() for char in parts.netloc):
        raise ConfigurationError(f"base URL {shown!r} has whitespace in its host")
    if port == 0:
        raise ConfigurationError(f"base URL {shown!r} has port 0")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Resolved credentials and endpoint. Build it with :meth:`resolve`."""

    api_key: str = field(repr=False)
    base_url: str
    organization: str | None = None
    project: str | None = None
    safety_identifier: str | None = None

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        safety_identifier: str | None = None,
    ) -> ClientSettings:
        """Fill unset values from the environment.

        Raises:
            ConfigurationError: no API key anywhere, or a base URL that is not a usable
                http(s)/ws(s) URL (no host, a bad port, a malformed IPv6 address).
        """
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ConfigurationError(
                "no API key: pass api_key= or set OPENAI_API_KEY (an ephemeral ek_ key works too)"
            )
        url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        _check_base_url(url)
        return cls(
            api_key=key,
            base_url=url,
            organization=organization or os.environ.get("OPENAI_ORG_ID"),
            project=project or os.environ.get("OPENAI_PROJECT_ID"),
            safety_identifier=safety_identifier,
        )

    @property
    def is_ephemeral(self) -> bool:
        """Whether the key is a client secret (``ek_…``) rather than a standard key."""
        return self.api_key.startswith("ek_")

    def headers(self) -> dict[str, str]:
        """Request headers: bearer auth plus the optional organization/project/safety ids."""
        headers = {"Authorization": f"Bearer {self.api_key}", "User-Agent": _USER_AGENT}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        if self.safety_identifier:
            headers["OpenAI-Safety-Identifier"] = self.safety_identifier
        return headers

    def subprotocols(self) -> list[str]:
        """Browser-style credentials: WebSocket sub-protocols instead of headers.

        ``realtime``, ``openai-insecure-api-key.<key>`` and, when set, the organization and
        project. Only an ephemeral (``ek_``) key may travel this way: sub-protocols are not
        treated as secrets by proxies and servers, which may log them.

        Raises:
            ConfigurationError: the key is a standard key.
        """
        if not self.is_ephemeral:
            raise ConfigurationError(
                "sub-protocol auth sends the key where proxies may log it: use an ephemeral "
                "ek_ key (realtime_kit.rest client secrets), not a standard key"
            )
        protocols = ["realtime", f"openai-insecure-api-key.{self.api_key}"]
        if self.organization:
            protocols.append(f"openai-organization.{self.organization}")
        if self.project:
            protocols.append(f"openai-project.{self.project}")
        return protocols

    def browser_headers(self) -> dict[str, str]:
        """The headers that go with :meth:`subprotocols`: no credentials, just the rest."""
        headers = self.headers()
        for name in ("Authorization", "OpenAI-Organization", "OpenAI-Project"):
            headers.pop(name, None)
        return headers

    def http_url(self, path: str) -> str:
        """``base_url`` + ``path`` with an http(s) scheme."""
        parts = urlsplit(self.base_url)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        return urlunsplit((scheme, parts.netloc, parts.path + path, "", ""))

    def ws_url(self, path: str, query: dict[str, str]) -> str:
        """``base_url`` + ``path`` + ``query`` with a ws(s) scheme."""
        parts = urlsplit(self.base_url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query), ""))
