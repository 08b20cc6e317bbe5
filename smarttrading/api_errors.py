"""API errors beyond DRF's: a database that cannot serve the request now is a 503; a body
Django refuses as suspicious (a form with more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS) a
JSON 400, as the schema says, not Django's HTML page."""

from __future__ import annotations

import logging

from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 2


def api_exception_handler(exc, context):
    """A lock wait that timed out (SQLite under a burst of writers), an exhausted connection
    pool or an unreachable database: the transaction rolled back and nothing was saved,
    so the client is told to retry (a repeated ``client_order_id`` is safe), not shown a 500."""
    if isinstance(exc, OperationalError):
        logger.warning("%s answered 503: %s", context["request"].path, exc)
        return Response(
            {"detail": "The service is busy and saved nothing; retry shortly with the same client_order_id."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": f"The request was refused: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
