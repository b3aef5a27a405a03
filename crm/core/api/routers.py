"""One router per API audience; each app's `api/urls.py` registers its viewsets on the right one.

A router also gives its viewsets the audience's way of authenticating (`API_AUDIENCE_AUTHENTICATION` in the
settings): the back office takes an API token or a staff session, the portal a client's JWT, the affiliate API
a JWT or a partner key. A viewset (or one of its actions) that declares `authentication_classes` itself keeps
them, e.g. `[]` for sign-up and log-in. The OpenAPI schema reads the same classes, so every operation declares
exactly the schemes it accepts.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin


def declares_authentication(viewset: type) -> bool:
    """Whether the viewset or one of its own bases (not DRF's APIView) sets `authentication_classes`."""
    return any("authentication_classes" in vars(cls) for cls in viewset.__mro__ if cls is not APIView)


class Router(DefaultRouter):
    include_root_view = False

    def __init__(self, audience: str) -> None:
        super().__init__()
        self.audience = audience

    def register(self, prefix: str, viewset: type[ViewSetMixin], basename: str | None = None) -> None:
        if not declares_authentication(viewset):
            names = settings.API_AUDIENCE_AUTHENTICATION[self.audience]
            # Every viewset registered here is an APIView too.
            viewset.authentication_classes = [import_string(name) for name in names]  # type: ignore[attr-defined]
        super().register(prefix, viewset, basename)


backoffice = Router("backoffice")
portal = Router("portal")
affiliate = Router("affiliate")
