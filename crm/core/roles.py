"""Staff roles: Django groups (created by migration core.0002) and the permissions each gets.

Each domain app lists what its models grant to each role in its own `roles.py`:

    GRANTS = {Role.SALES_AGENT: ["customers.view_customer", "customers.change_customer"]}

and, for its periodic tasks, the permission that lets staff run one at once:

    RUN_NOW = {"crm.affiliates.tasks.run_commissions_task": "affiliates.run_commissions"}

and, for fields only some roles may change, the permission each takes (the admin shows them read-only
and the services refuse them to staff without it, so the admin and the API agree):

    FIELD_RIGHTS = {"customers.customer": {"risk_status": "customers.change_risk_status"}}

After every `migrate`, `sync_role_permissions` adds the listed permissions to the groups.
It only adds: permissions an admin gave a group by hand stay.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps
from django.db.models import TextChoices

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder

logger = logging.getLogger(__name__)


class Role(TextChoices):
    ADMIN = "Admin"
    SALES_MANAGER = "Sales Manager"
    SALES_AGENT = "Sales Agent"
    RETENTION_AGENT = "Retention Agent"
    COMPLIANCE = "Compliance"
    FINANCE = "Finance"
    AFFILIATE_MANAGER = "Affiliate Manager"
    DEALER = "Dealer"
    SUPPORT = "Support"


# Every staff member may follow their own export jobs (the jobs are scoped to their owner).
GRANTS = {role: ["core.view_exportjob"] for role in Role if role != Role.ADMIN}
# Periodic tasks staff may run at once ("Run now" in the admin), and the permission it takes.
RUN_NOW = {
    "crm.core.tasks.dispatch_pending_events_task": "core.view_outboxevent",
    "crm.core.tasks.delete_expired_exports_task": "core.delete_exportjob",
    "crm.core.tasks.sweep_exports_task": "core.view_all_exportjobs",
}


def _roles_modules() -> Iterator[ModuleType]:
    """Every installed app's `roles.py` module."""
    for config in apps.get_app_configs():
        if not config.name.startswith("crm."):
            continue
        try:
            yield importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise


def collected_grants() -> dict[str, set[str]]:
    """Role name -> {"app_label.codename"} from every installed app's `roles.py`."""
    grants: dict[str, set[str]] = {role.value: set() for role in Role}
    for module in _roles_modules():
        for role, perms in getattr(module, "GRANTS", {}).items():
            grants[str(role)].update(perms)
    return grants


def collected_run_now() -> dict[str, str]:
    """Periodic task name -> the permission that lets staff run it now, from every app's `roles.py` `RUN_NOW`."""
    run_now: dict[str, str] = {}
    for module in _roles_modules():
        run_now.update(getattr(module, "RUN_NOW", {}))
    return run_now


@functools.cache
def collected_field_rights() -> dict[str, dict[str, str]]:
    """ "app_label.model" -> {field: permission needed to change it}, from every app's `roles.py` `FIELD_RIGHTS`."""
    rights: dict[str, dict[str, str]] = {}
    for module in _roles_modules():
        for model, fields in getattr(module, "FIELD_RIGHTS", {}).items():
            rights.setdefault(model.lower(), {}).update(fields)
    return rights


def fields_refused(user: PermissionHolder, model: str, names: Iterable[str]) -> list[str]:
    """The fields among `names` of `model` ("app_label.model") this user may not change, in the given order."""
    rights = collected_field_rights().get(model.lower(), {})
    return [name for name in names if name in rights and not user.has_perm(rights[name])]


def sync_role_permissions() -> None:
    """Give each role group the permissions its apps grant; the Admin group gets every permission."""
    from django.contrib.auth.models import Group, Permission

    all_permissions = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions}
    for role, perms in collected_grants().items():
        group, _ = Group.objects.get_or_create(name=role)
        if role == Role.ADMIN:
            wanted = list(by_name.values())
        else:
            missing = sorted(perms - by_name.keys())
            if missing:
                logger.warning("Role %s grants unknown permissions: %s", role, ", ".join(missing))
            wanted = [by_name[p] for p in perms if p in by_name]
        group.permissions.add(*wanted)


def sync_role_permissions_on_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # Once per migrate run, after every app's permissions exist: post_migrate runs app by app in
    # INSTALLED_APPS order (only apps with models), and each app's permissions are created in its own turn.
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.name == last.name:
        sync_role_permissions()
