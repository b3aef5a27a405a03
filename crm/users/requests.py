"""The user behind a request, typed as the services want it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from crm.users.models import User


def staff_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a request that got past authentication (admin pages, staff and portal APIs).

    Such a request's `user` is a `User`, never `AnonymousUser`; a view reached without logging in (a missing
    permission class) is refused here rather than handing an anonymous user to a service.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
