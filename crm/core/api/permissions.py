from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Staff only, with the model's Django permission for the verb, including view_ on reads."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return super().has_permission(request, view)


class ActionPermissions(StaffModelPermissions):
    """Model permissions for the CRUD routes; an extra action listed in the view's `action_permissions`
    (action name -> permissions) needs exactly those instead."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None) or "")
        if perms is None:
            return super().has_permission(request, view)
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff and user.has_perms(perms))


def require_perms(*perms: str) -> type[permissions.BasePermission]:
    """A permission class for an action: staff user holding every named permission."""

    class RequirePerms(permissions.BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.is_staff and user.has_perms(perms))

    RequirePerms.__name__ = "Require_" + "_".join(p.replace(".", "_") for p in perms)
    return RequirePerms
