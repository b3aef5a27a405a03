"""Who acts in a service call: the logged-in user or nobody."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# A user model with `is_authenticated` (`crm.core` cannot name `crm.users.models.User`).
U = TypeVar("U")


def user_or_none(actor: U | AnonymousUser | None) -> U | None:
    """The actor to record as the user behind a change: a logged-in user, or None for an anonymous caller
    (a webhook, a public endpoint) and for nobody (a task, a command)."""
    return cast("U", actor) if getattr(actor, "is_authenticated", False) else None
