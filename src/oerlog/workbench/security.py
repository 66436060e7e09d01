"""Safe by default: the workbench answers only requests addressed to the local machine, accepts a write only from
its own pages, and reads or writes only inside the KB folder and the working folder.

- **Host** (:class:`LocalOnly`): a request whose ``Host`` header names anything but ``127.0.0.1``, ``localhost`` or
  ``[::1]`` is refused (403): a web page on another site that rebinds its own name to 127.0.0.1 (DNS rebinding)
  still sends its own name.
- **Writes**: every POST carries the server's token (a hidden form field or the ``X-Oerlog-Token`` header, put there
  by the pages themselves), and a request whose ``Origin`` (or, without one, ``Referer``) is another site is refused;
  a page elsewhere can neither read the token nor send the header.
- **Paths** (:func:`inside`): a name given in a form is resolved (symlinks followed) and must stay inside one of the
  allowed folders; ``..``, an absolute path elsewhere, or a symlink that leads out is refused.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oerlog.errors import Location, UsageError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
TOKEN_FIELD = "_token"
TOKEN_HEADER = "x-oerlog-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    """A token for this run of the server (the pages carry it; a page of another site cannot read it)."""
    return secrets.token_urlsafe(24)


def host_name(host: str) -> str:
    """The name part of a ``Host`` header (``127.0.0.1:8765`` -> ``127.0.0.1``; ``[::1]:80`` -> ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_host(host: str) -> bool:
    """True for a ``Host`` header naming this machine by its loopback name."""
    return host_name(host) in LOCAL_NAMES


def same_origin(origin: str, host: str) -> bool:
    """True when ``origin`` (an ``Origin`` or ``Referer`` value) is the workbench itself, served at ``host``."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison of a request's token with the server's."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class LocalOnly:
    """ASGI middleware: refuse requests for another host name (DNS rebinding) and cross-site writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not is_local_host(host):
            await _refuse(_with_headers(send), "this workbench answers requests for 127.0.0.1 or localhost only")
            return
        if scope.get("method", "GET") not in SAFE_METHODS:
            origin = headers.get("origin") or headers.get("referer")
            if origin and origin != "null" and not same_origin(origin, host):
                await _refuse(_with_headers(send), "a change can only be made from the workbench's own pages")
                return
            if origin == "null":
                await _refuse(_with_headers(send), "a change can only be made from the workbench's own pages")
                return
        await self.app(scope, receive, _with_headers(send))


SECURITY_HEADERS = [
    # scripts and styles from the workbench itself only (htmx and app.js are shipped in the package); no frames
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def _with_headers(send: Send) -> Send:
    """``send`` with :data:`SECURITY_HEADERS` added to every response."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [
                (k, v) for k, v in SECURITY_HEADERS if k not in names
            ]
        await send(message)

    return wrapped


async def _refuse(send: Send, why: str) -> None:
    body = f"403 Forbidden: {why}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def inside(name: str, roots: list[Path], what: str = "file", example: str = "cases/anna.yaml") -> Path:
    """The path ``name`` (relative to the first root, or absolute) resolved, symlinks followed, provided it lies
    inside one of ``roots``; a :class:`~oerlog.errors.UsageError` naming the folders allowed otherwise."""
    text = name.strip()
    if not text or "\x00" in text:
        raise UsageError(f"give a {what} name", Location("<form>"), value=name, example=example)
    raw = Path(text)
    candidate = raw if raw.is_absolute() else roots[0] / raw
    resolved = candidate.resolve()
    for root in roots:
        r = root.resolve()
        if resolved == r or resolved.is_relative_to(r):
            return resolved
    raise UsageError(
        f"the {what} {text!r} lies outside the folders the workbench may use",
        Location("<form>"),
        value=text,
        hint="allowed: " + ", ".join(str(r) for r in roots),
        example=example,
    )
