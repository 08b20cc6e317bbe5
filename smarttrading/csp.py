"""Content-Security-Policy on every response (Django 5.2 has none of its own).

Scripts come only from the product's own static files: no inline script and no other origin
runs, so an injected ``<script>`` or ``onerror=`` does nothing even if escaping ever failed.
Styles also come from self, plus inline: plotly.js writes its own ``<style>`` elements and
style attributes, which a strict style-src would break. Frames, plugins and foreign form
targets are refused. A response that sets its own policy keeps it.
"""

from __future__ import annotations

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
