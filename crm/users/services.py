"""Writes for staff users, API tokens and two-factor devices."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.core.exceptions import DomainError, PermissionDenied
from crm.core.roles import Role
from crm.core.services import record_activity
from crm.core.typing import PermissionHolder
from crm.users.models import ApiToken, Desk, User, hash_token, normalize_ip_list, validate_time_zone

# The last use of a token is written at most this often: a busy integration must not write on every call.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


class TokenRefused(DomainError):
    """An API key that is unknown, expired, deleted or used from an address outside its allow-list."""

    code = "token_refused"
    status_code = 401


def can_grant_role(actor: User, role: Group) -> bool:
    """Whether `actor` may create a token with `role`: only with every permission the role carries."""
    if actor.is_superuser:
        return True
    perms = {
        f"{app}.{codename}" for app, codename in role.permissions.values_list("content_type__app_label", "codename")
    }
    return actor.has_perms(perms)


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
    name = (name or "").strip()
    if not name:
        raise DomainError(
            _("A token needs a name."), code="invalid_name", fields={"name": [_("This field is required.")]}
        )
    if role.name not in Role.values:
        raise DomainError(
            _("A token's role must be one of the staff roles."),
            code="invalid_role",
            fields={"role": [_("Not a role.")]},
        )
    if actor is not None and not can_grant_role(actor, role):
        raise PermissionDenied(_("You cannot give a token permissions you do not have yourself."))
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            _("The expiry date must be in the future."),
            code="invalid_expiry",
            fields={"expires_at": [_("Must be in the future.")]},
        )
    raw = ApiToken.generate_key()
    # create_user with no password stores an unusable one: the account can never log in with a password.
    service_user = User.objects.create_user(
        email=f"api-token-{uuid.uuid4().hex}@tokens.invalid",
        first_name=name[:150],
        is_staff=True,
        is_service_account=True,
    )
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
    token.full_clean(exclude=["user", "key_hash"])
    token.save()
    record_activity(
        actor=actor,
        action="api_token.created",
        target=token,
        data={"role": role.name, "expires_at": expires_at, "allowed_ips": token.allowed_ips},
    )
    return token, raw


@transaction.atomic
def update_api_token_allowed_ips(
    token: ApiToken, *, allowed_ips: list[str] | str, actor: PermissionHolder | None
) -> ApiToken:
    """Replace a token's IP allow-list, the only part of a token that can change; other fields stay as created."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    old = token.allowed_ips
    new = normalize_ip_list(allowed_ips)
    if new == old:
        return token
    token.allowed_ips = new
    token.save(update_fields=["allowed_ips", "updated_at"])
    record_activity(
        actor=actor,
        action="api_token.allowed_ips_changed",
        target=token,
        changes={"allowed_ips": [old, new]},
    )
    return token


@transaction.atomic
def delete_api_token(token: ApiToken, *, actor: PermissionHolder | None) -> None:
    """Delete a token for good: its key stops working at once and cannot be restored.

    The service account stays, deactivated and without its role, so the activity log and any record the token
    wrote keep pointing at who did it.
    """
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    record_activity(actor=actor, action="api_token.deleted", target=token, data={"role_id": token.role_id})
    service_user = token.user
    token.delete()
    service_user.is_active = False
    service_user.save(update_fields=["is_active"])
    service_user.groups.clear()


def _valid_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def authenticate_api_token(raw: str, *, ip: str | None) -> ApiToken:
    """The usable token for a raw key, checked for expiry and IP allow-list; records the use at most once a minute."""
    ip = _valid_ip(ip)
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active or not token.user.is_service_account:
        raise TokenRefused(_("Invalid token."))
    if token.is_expired:
        raise TokenRefused(_("The token has expired."), code="token_expired")
    if not token.allows_ip(ip):
        raise TokenRefused(_("The token is not allowed from this IP address."), code="token_ip_not_allowed")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


# Two-factor (TOTP) devices
# ------------------------------------------------------------------------------
TOTP_DEVICE_NAME = "Authenticator app"


def has_confirmed_totp(user: User) -> bool:
    """Whether the user must give a one-time code at log-in."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


@transaction.atomic
def start_totp_setup(user: User) -> TOTPDevice:
    """The user's unconfirmed device, with a new secret each time set-up starts; confirmed devices stay untouched."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def confirm_totp_device(device: TOTPDevice, *, token: str) -> TOTPDevice:
    """Confirm a new device with its first code; from then on the user's log-in asks for a code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed:
        return device
    if not device.verify_token(token):
        raise DomainError(_("The code is not valid. Check the time on your phone and try again."), code="invalid_otp")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    record_activity(actor=device.user, action="two_factor.enabled", target=device.user)
    return device


@transaction.atomic
def reset_totp_devices(user: User, *, actor: PermissionHolder | None) -> int:
    """Remove every TOTP device of a user (lost phone): they log in with the password alone until they set one up."""
    count, _unused = TOTPDevice.objects.filter(user=user).delete()
    if count:
        record_activity(actor=actor, action="two_factor.reset", target=user)
    return count


# Desks and availability -------------------------------------------------------------------

DESK_FIELDS = ("name", "desk_type", "manager")


def _check_desk_people(manager: User | None, members: list[User] | None) -> None:
    people = [*(members or []), *([manager] if manager else [])]
    for person in people:
        if not (person.is_staff and person.is_active and not person.is_service_account):
            raise DomainError(
                _("Desk managers and members must be active staff members."),
                code="invalid_desk_member",
                fields={"members" if person is not manager else "manager": [_("Not an active staff member.")]},
            )


@transaction.atomic
def create_desk(
    *,
    name: str,
    desk_type: str = Desk.Type.CONVERSION,
    manager: User | None = None,
    members: list[User] | None = None,
    actor: PermissionHolder | None,
) -> Desk:
    """Create a desk; its name must be new."""
    name = (name or "").strip()
    if Desk.objects.filter(name__iexact=name).exists():
        raise DomainError(_("A desk with this name exists."), code="desk_name_taken", fields={"name": [_("Taken.")]})
    _check_desk_people(manager, members)
    desk = Desk(name=name, desk_type=desk_type, manager=manager)
    desk.full_clean()
    desk.save()
    desk.members.set(members or [])
    record_activity(
        actor=actor, action="desk.created", target=desk, data={"members": sorted(m.pk for m in members or [])}
    )
    return desk


@transaction.atomic
def update_desk(desk: Desk, *, actor: PermissionHolder | None, members: list[User] | None = None, **values) -> Desk:
    """Rename a desk, change its type or manager, or replace its members; the history keeps old and new values."""
    from crm.core.services import changed_fields, snapshot

    unknown = set(values) - set(DESK_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    desk = Desk.objects.select_for_update().get(pk=desk.pk)
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if Desk.objects.filter(name__iexact=values["name"]).exclude(pk=desk.pk).exists():
            raise DomainError(
                _("A desk with this name exists."), code="desk_name_taken", fields={"name": [_("Taken.")]}
            )
    _check_desk_people(values.get("manager"), members)
    tracked = [*values, *(["members"] if members is not None else [])]
    before = snapshot(desk, tracked)
    for name, value in values.items():
        setattr(desk, name, value)
    desk.full_clean()
    desk.save()
    if members is not None:
        desk.members.set(members)
    changes = changed_fields(desk, before)
    if changes:
        record_activity(actor=actor, action="desk.updated", target=desk, changes=changes)
    return desk


@transaction.atomic
def delete_desk(desk: Desk, *, actor: PermissionHolder | None) -> None:
    """Delete a desk; leads and clients on it keep their agents and lose only the desk."""
    record_activity(actor=actor, action="desk.deleted", target=desk, data={"name": desk.name})
    desk.delete()


@transaction.atomic
def set_absence(user: User, *, is_absent: bool, actor: PermissionHolder | None) -> User:
    """Mark a staff member absent or back; absent staff get no round-robin leads."""
    if user.is_absent == is_absent:
        return user
    User.objects.filter(pk=user.pk).update(is_absent=is_absent)
    user.is_absent = is_absent
    record_activity(actor=actor, action="user.absent" if is_absent else "user.present", target=user)
    return user


def set_language(user: User, *, language: str) -> User:
    """The staff member's own language for the admin (one of settings.LANGUAGES, or "" for the browser's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise DomainError(_("We do not speak this language."), code="invalid_language")
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return user


def set_time_zone(user: User, *, time_zone: str, actor: User | None) -> User:
    """Choose the time zone the admin shows times in for `user` ("" for the server's); an unknown zone is refused."""
    time_zone = (time_zone or "").strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise DomainError(
            _("Not a known time zone."), code="invalid_time_zone", fields={"time_zone": exc.messages}
        ) from exc
    if user.time_zone != time_zone:
        old = user.time_zone
        User.objects.filter(pk=user.pk).update(time_zone=time_zone)
        user.time_zone = time_zone
        record_activity(
            actor=actor, action="user.time_zone_changed", target=user, changes={"time_zone": [old, time_zone]}
        )
    return user


def next_desk_agents(desk: Desk, count: int = 1) -> list[User]:
    """The next `count` agents of a desk in round-robin order, skipping inactive and absent members.

    Must run inside the caller's transaction: the desk row is locked until it commits, so two
    concurrent callers never hand out the same turn. Returns [] when nobody on the desk is available.
    """
    if count <= 0:
        return []
    locked = Desk.objects.select_for_update().get(pk=desk.pk)
    agents = list(User.objects.available().filter(desks=locked).order_by("pk"))
    if not agents:
        return []
    last = locked.last_assigned_agent_id or 0
    start = next((index for index, agent in enumerate(agents) if agent.pk > last), 0)
    chosen = [agents[(start + offset) % len(agents)] for offset in range(count)]
    Desk.objects.filter(pk=locked.pk).update(last_assigned_agent=chosen[-1])
    return chosen
