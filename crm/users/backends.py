"""Authentication backends."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


class UserBackend(ModelBackend):
    """Django's ModelBackend, with the two reads every staff request makes written once instead of built by the ORM
    each time (which cost several times the queries themselves):

    - the session's user (`get_user`): the same row, through the user model's default manager;
    - the user's permissions, their own and their groups', in one query where ModelBackend makes two
      (`get_user_permissions`, then `get_group_permissions`) on the first permission check of every request. The
      set is the same, kept on the user object for the request as ModelBackend keeps it (`_perm_cache`); the two
      halves, when asked for on their own, are read as Django reads them, and a superuser's (every permission) as
      Django reads it.
    """

    def get_user(self, user_id: Any) -> Any:
        user_model: Any = get_user_model()
        manager = user_model._default_manager
        if not _reads_every_row(user_model._meta.label):
            return super().get_user(user_id)  # a default manager that filters: Django's get() applies it
        users = list(manager.raw(_user_sql(user_model._meta.label, manager.db), [user_id]))
        if not users:
            return None
        return users[0] if self.user_can_authenticate(users[0]) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj, obj)
            using = router.db_for_read(Permission)
            with connections[using].cursor() as cursor:
                cursor.execute(_permissions_sql(user_obj._meta.label, using), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache


@cache
def _reads_every_row(user_label: str) -> bool:
    """Whether the user model's default manager reads its table as it is (no filter of its own)."""
    query = apps.get_model(user_label)._default_manager.get_queryset().query
    return not query.where and not query.extra and not query.annotations


@cache
def _user_sql(user_label: str, using: str) -> str:
    """The user's row by primary key, every column (as `get(pk=...)` reads it)."""
    user_model: Any = apps.get_model(user_label)
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in user_model._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(user_model._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {quote(user_model._meta.pk.column)} = %s"
    )


@cache
def _permissions_sql(user_label: str, using: str) -> str:
    """The query of a user's permissions (`app_label`, `codename`): their own and their groups', one row each.

    As ModelBackend's two queries read them (`user_permissions`, and the permissions of `groups`), from the tables
    and columns the models name."""
    quote = connections[using].ops.quote_name
    user_model: Any = apps.get_model(user_label)

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    own, groups, of_groups = user_model.user_permissions, user_model.groups, Group.permissions
    permission_id, content_type_id = column(Permission, "id"), column(Permission, "content_type")
    return (
        f"SELECT ct.{column(ContentType, 'app_label')}, p.{column(Permission, 'codename')} "  # noqa: S608 - names from the models
        f"FROM {quote(Permission._meta.db_table)} p JOIN {quote(ContentType._meta.db_table)} ct "
        f"ON ct.{column(ContentType, 'id')} = p.{content_type_id} "
        f"WHERE p.{permission_id} IN ("
        f"SELECT {quote(own.field.m2m_reverse_name())} FROM {quote(own.through._meta.db_table)} "
        f"WHERE {quote(own.field.m2m_column_name())} = %s "
        f"UNION SELECT gp.{quote(of_groups.field.m2m_reverse_name())} "
        f"FROM {quote(of_groups.through._meta.db_table)} gp "
        f"JOIN {quote(groups.through._meta.db_table)} ug "
        f"ON ug.{quote(groups.field.m2m_reverse_name())} = gp.{quote(of_groups.field.m2m_column_name())} "
        f"WHERE ug.{quote(groups.field.m2m_column_name())} = %s)"
    )
