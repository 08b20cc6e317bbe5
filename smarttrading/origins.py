"""Websocket origin check: the page's origin must be the server's own, scheme, host and port.

Channels' ``AllowedHostsOriginValidator`` compares the host alone, so a page served from
``http://127.0.0.1:9999`` or ``https://127.0.0.1`` could open a supervisor's stream with the
supervisor's cookie. Here the ``Origin`` must equal the origin the socket was opened on (its
scheme and ``Host`` header, the host one of ``ALLOWED_HOSTS``), or be named in
``CSRF_TRUSTED_ORIGINS`` (a page served from another origin on purpose, as forms are).
"""

from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

HTTP_SCHEME = {"ws": "http", "wss": "https"}


def origin_allowed(scope) -> bool:
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin1").rstrip("/").lower()
    host = headers.get(b"host", b"").decode("latin1").lower()
    if not origin or not host:
        return False
    if origin in (o.rstrip("/").lower() for o in settings.CSRF_TRUSTED_ORIGINS):
        return True
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    own = f"{HTTP_SCHEME.get(scope.get('scheme', 'ws'), 'http')}://{host}"
    return origin == own


class SameOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
