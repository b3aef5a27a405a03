"""Helpers of the admin browser tests: Debian's Chromium driven by Playwright, screenshots, expected menus.

Playwright drives the system Chromium (`/usr/bin/chromium`, installed by `.ci/run`); it never downloads a
browser. The expected sidebar of a role is worked out from the unfold navigation (`crm.core.admin_nav`) and
the permissions the apps' `roles.py` grant that role, not from the pages themselves.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.test import RequestFactory

from crm.core.admin_nav import navigation
from crm.core.roles import Role, collected_grants

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no first-run pages, no update checks, no sync; QUIC off (the machine refuses outside traffic).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SERVER_ERROR = re.compile(r"Server Error|Traceback|Internal Server Error")


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install -r requirements-dev.txt)"
    return None


def artifacts_dir() -> Path:
    """Where screenshots go: $BROWSER_ARTIFACTS, else test-artifacts/browser/ in the repository."""
    path = Path(os.environ.get("BROWSER_ARTIFACTS") or REPO / "test-artifacts" / "browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


@dataclass(frozen=True)
class MenuLink:
    section: str
    title: str
    href: str
    visible: bool

    @property
    def path(self) -> str:
        return urlsplit(self.href).path


def role_has_perm(role: Role, perm: str) -> bool:
    """Whether the apps' `roles.py` grant `perm` to `role` (the Admin role has every permission)."""
    return role == Role.ADMIN or perm in collected_grants()[role.value]


class _GrantsUser:
    """Stands in for a staff member holding exactly what `roles.py` grants the role."""

    is_active = True
    is_authenticated = True
    is_staff = True

    def __init__(self, role: Role) -> None:
        self.role = role

    def has_perm(self, perm: str, obj=None) -> bool:
        return role_has_perm(self.role, perm)

    def has_perms(self, perms, obj=None) -> bool:
        return all(self.has_perm(perm) for perm in perms)


def expected_menu(role: Role) -> list[MenuLink]:
    """Every sidebar link of the unfold navigation, marked visible when the role's grants allow it."""
    request = RequestFactory().get("/admin/")
    request.user = _GrantsUser(role)
    links = []
    for group in navigation:
        for item in group["items"]:
            link = item["link"]
            href = str(link(request) if callable(link) else link)
            permission = item.get("permission")
            visible = permission is None or bool(permission(request))
            links.append(MenuLink(str(group["title"]), str(item["title"]), href, visible))
    return links


def expected_sections(menu: list[MenuLink]) -> list[str]:
    """Sidebar sections with at least one visible link, in menu order."""
    return list(dict.fromkeys(link.section for link in menu if link.visible))
