"""What every HTTP request passes before a route, as one ASGI middleware around the app.

In order: the request gets its id; the API key is checked before a byte of the body is read (an
unauthenticated client cannot make the server hold a body); the body is counted as it arrives, chunked
or not, and one over `serve.max_body_bytes` is answered 413 without reaching the app; whatever the app
then answers, a 500 from an unexpected exception included, is logged as one JSON line and counted in
/metrics under the route's path template (never the raw path or a made-up method: bounded series).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragtune.serve.metrics import Metrics

log = logging.getLogger("serve")

PUBLIC = frozenset({"/health", "/"})  # route paths open without a key: liveness, and the chat page (static HTML)


def authorized(headers: Headers, keys: Sequence[str]) -> bool:
    """`Authorization: Bearer <key>` with one of `keys` (compared in constant time); anything goes without keys."""
    if not keys:
        return True
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    return scheme.lower() == "bearer" and bool(token) and any(hmac.compare_digest(token.encode(), k.encode()) for k in keys)


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


CLIENT_GONE = 499  # logged and counted for a client that left before its body was read (nginx's code)


class Gate:
    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute], keys: Sequence[str], max_body_bytes: int, metrics: Metrics):
        self.app, self.routes, self.keys, self.limit, self.metrics = app, list(routes), list(keys), max_body_bytes, metrics

    def route_path(self, scope: Scope) -> str:
        """The path template of the route this request goes to, or whose path it names with another method (405);
        'unmatched' when none: the metrics label."""
        partial = "unmatched"
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return route.path
            if match == Match.PARTIAL and partial == "unmatched":
                partial = route.path
        return partial

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        path, started, status = self.route_path(scope), time.perf_counter(), [0]

        async def respond(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            if path not in PUBLIC and not authorized(headers, self.keys):
                await JSONResponse({"detail": "missing or invalid API key (Authorization: Bearer <key>)"}, 401,
                                   headers={"WWW-Authenticate": "Bearer"})(scope, receive, respond)  # fmt: skip
            else:
                try:
                    body = await self.read_body(headers, receive)
                except BodyTooLarge:
                    await JSONResponse({"detail": f"request body over {self.limit} bytes"}, 413)(scope, receive, respond)
                except ClientGone:
                    status[0] = CLIENT_GONE
                else:
                    await self.app(scope, replay(body, receive), respond)
        except Exception:
            log.exception("unhandled error (request %s)", request_id)
            if not status[0]:
                await JSONResponse({"detail": "internal error", "request_id": request_id}, 500)(scope, receive, respond)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe_request(scope["method"], path, status[0] or 500, elapsed)
            log.info(json.dumps({"request_id": request_id, "method": scope["method"][:16], "path": path,
                                 "status": status[0] or 500, "ms": round(elapsed * 1000, 1)}))  # fmt: skip

    async def read_body(self, headers: Headers, receive: Receive) -> bytes:
        """The whole body, counted as it arrives; BodyTooLarge as soon as it passes the limit (a Content-Length
        over it: before reading anything)."""
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            raise BodyTooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then passes on what the client sends next
    (a disconnect, which streaming routes watch for)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
