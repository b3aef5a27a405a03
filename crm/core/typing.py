"""Types the domains share in their signatures."""

from __future__ import annotations

from typing import Any, Protocol

from django.db.models import Model


class PermissionHolder(Protocol):
    """Whoever a permission check is about: a staff user (`crm.users.models.User`) or an anonymous one.

    `crm.core` cannot name the user model (it imports nothing above it); this is what it relies on.
    """

    @property
    def pk(self) -> Any: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_staff(self) -> bool: ...
    def has_perm(self, perm: str, obj: Model | None = None) -> bool: ...
    def has_perms(self, perm_list: Any, obj: Model | None = None) -> bool: ...
