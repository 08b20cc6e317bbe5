"""API tokens: issue, rotate, revoke, and authenticate a request by one (hashed, audited)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..audit import audit_event
from ..models import ApiToken

# A token's use is written (last use, and an audit event) at most this often: not one
# write per API request.
USE_RECORDED_EVERY = timedelta(minutes=1)
KEY_BYTES = 30  # 40 URL-safe characters


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _issue(*, user, name: str) -> tuple[ApiToken, str]:
    key = secrets.token_urlsafe(KEY_BYTES)
    token = ApiToken.objects.create(user=user, name=name[:64], key_hash=_hash(key), prefix=key[:8])
    return token, key


@transaction.atomic
def api_token_issue(*, user, name: str, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its key, which is not stored and not shown again."""
    token, key = _issue(user=user, name=name)
    audit_event("token.issued", actor, token=token.pk, user=user.username, name=token.name).save()
    return token, key


@transaction.atomic
def api_token_rotate(*, token: ApiToken, actor: str) -> tuple[ApiToken, str]:
    """Its successor under the same name, and the token itself revoked, in one transaction."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValueError("a revoked token cannot be rotated; issue a new one")
    successor, key = _issue(user=token.user, name=token.name)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit_event("token.rotated", actor, token=token.pk, successor=successor.pk, user=token.user.username).save()
    return successor, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: str) -> ApiToken:
    """From now on the key authenticates nothing; revoking twice changes nothing."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        audit_event("token.revoked", actor, token=token.pk, user=token.user.username).save()
    token.refresh_from_db()
    return token


def api_token_authenticate(*, key: str, address: str | None, path: str) -> ApiToken | None:
    """The live token with this key, its use recorded (at most once a minute); None for any other key."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = Q(last_used_at=None) | Q(last_used_at__lt=now - USE_RECORDED_EVERY) | ~Q(last_used_from=address)
    with transaction.atomic():
        if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now, last_used_from=address):
            audit_event("token.used", f"user:{token.user.username}", token=token.pk, address=address, path=path).save()
    return token
