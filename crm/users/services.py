"""Writes for staff users and API tokens."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.users.models import ApiToken, User, hash_token, normalize_ip_list


class TokenRefused(DomainError):
    code = "token_refused"
    status_code = 401


@transaction.atomic
def create_api_token(
    *,
    name: str,
    role: Group,
    expires_at: dt.datetime | None = None,
    allowed_ips: list[str] | str | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and its service account; returns the raw key, which is never available again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            "The expiry date must be in the future.",
            code="invalid_expiry",
            fields={"expires_at": ["Must be in the future."]},
        )
    raw = ApiToken.generate_key()
    service_user = User.objects.create_user(
        email=f"api-token-{hash_token(raw)[:12]}@tokens.invalid",
        first_name=name[:150],
        is_staff=True,
        is_service_account=True,
    )
    service_user.set_unusable_password()
    service_user.save(update_fields=["password"])
    service_user.groups.set([role])
    token = ApiToken(
        name=name,
        role=role,
        user=service_user,
        key_prefix=raw[: ApiToken.PREFIX_LENGTH],
        key_hash=hash_token(raw),
        expires_at=expires_at,
        allowed_ips=normalize_ip_list(allowed_ips),
        created_by=actor,
    )
    token.full_clean()
    token.save()
    record_activity(actor=actor, action="api_token.created", target=token, data={"role": role.name})
    return token, raw


@transaction.atomic
def update_api_token_allowed_ips(token: ApiToken, *, allowed_ips: list[str] | str, actor: User | None) -> ApiToken:
    """The allow-list is the only part of a token that can change."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    old = token.allowed_ips
    token.allowed_ips = normalize_ip_list(allowed_ips)
    token.save(update_fields=["allowed_ips", "updated_at"])
    record_activity(
        actor=actor,
        action="api_token.allowed_ips_changed",
        target=token,
        changes={"allowed_ips": [old, token.allowed_ips]},
    )
    return token


@transaction.atomic
def delete_api_token(token: ApiToken, *, actor: User | None) -> None:
    """Delete a token for good: its service account goes with it."""
    record_activity(actor=actor, action="api_token.deleted", target=token)
    token.user.delete()  # cascades to the token


def authenticate_api_token(raw: str, *, ip: str | None) -> ApiToken:
    """The token for a raw key, checked for expiry and IP allow-list; records the use."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        raise TokenRefused("Invalid token.")
    if token.is_expired:
        raise TokenRefused("The token has expired.", code="token_expired")
    if not token.allows_ip(ip):
        raise TokenRefused("The token is not allowed from this IP address.", code="token_ip_not_allowed")
    now = timezone.now()
    # Write the last use at most once a minute: a busy integration must not write on every call.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1) or token.last_used_ip != ip:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token
