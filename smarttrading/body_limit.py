"""An ASGI guard in front of Django: a body larger than the product takes is refused unread.

Django's ASGI handler reads the whole body before any view or upload handler sees it, so a
request declaring a gigabyte waited for it (no answer for 20 s on a 6-byte body), and a real
100 MB body was read whole before its 400. Here a declared length over the limit is answered
413 at once, and a body that turns out longer (chunked, or lying) is cut off at the limit.
"""

from __future__ import annotations

import json

from django.conf import settings


class BodyTooLarge(Exception):
    pass


def body_limit_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refusal_text() -> str:
    return f"The request body must be at most {body_limit_bytes() // (1024 * 1024)} MB; nothing was read or saved."


class BodySizeLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit_bytes()
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await _refuse(scope, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:  # Django reads the body before it answers: nothing was sent yet
            await _refuse(scope, send)


async def _refuse(scope, send) -> None:
    if scope["path"].startswith("/api/"):
        body, kind = json.dumps({"detail": refusal_text()}).encode(), b"application/json"
    else:
        back_to = "/orders/upload/" if scope["path"].startswith("/orders/upload/") else "/"
        back = f'<p><a href="{back_to}">Back</a></p>'
        body = f"<!doctype html><title>Too large</title><h1>Too large</h1><p>{refusal_text()}</p>{back}".encode()
        kind = b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
