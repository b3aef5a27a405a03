"""The admin home page: counts and charts for the staff member's own scope."""

from django.conf import settings
from django.http import HttpRequest


def environment_callback(request: HttpRequest) -> list[str]:
    if settings.DEBUG:
        return ["Development", "warning"]
    return (
        ["Production", "danger"]
        if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else ["Demo", "info"]
    )


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    return context
