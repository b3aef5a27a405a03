"""Changelist filters over the rows of a small table (sales statuses, desks, client groups and roles) without a
query on every page.

A filter over such a table lists its rows as text, read from the database on every page: the leads and clients
changelists ran one query per such filter. `kept_choices` (and `KeptChoicesDropdownFilter`, a related dropdown
built on it) keeps that list in the cache (Redis in production, the process's memory without it) for `CHOICES_TTL`
seconds; saving or deleting a row of a table registered with `keep_choices_of` drops it at once and again on
commit, in every process. Changes that send no signal (`QuerySet.update`, `bulk_create`, raw SQL) show within
`CHOICES_TTL`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils import translation
from unfold.contrib.filters.admin import RelatedDropdownFilter

CHOICES_TTL = 60
_KEPT: set[str] = set()  # labels of the models whose choices are kept


def _key(model: type[Model]) -> str:
    return f"admin-filter-choices:{model._meta.label_lower}"


def _forget(sender: type[Model], **kwargs: Any) -> None:
    key = _key(sender)
    cache.delete(key)
    # Again once the change is committed: a page read before then kept the rows as they were.
    transaction.on_commit(lambda: cache.delete(key), using=kwargs.get("using"))


def keep_choices_of(*models: type[Model]) -> None:
    """Let the filters below keep these models' rows as choices, dropped whenever one of them is saved or deleted.
    Called where the models' admins are registered (imported by every process: web, workers, commands)."""
    for model in models:
        uid = _key(model)
        post_save.connect(_forget, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_forget, sender=model, dispatch_uid=uid, weak=False)
        _KEPT.add(model._meta.label_lower)


def kept_choices(model: type[Model], variant: tuple[Any, ...], read: Callable[[], list[Any]]) -> list[Any]:
    """`read()`: a filter's choices made of `model`'s rows, from the cache when `model` is kept (`keep_choices_of`).

    `variant` names what else the choices depend on (an ordering, the kind of choice); the language is added, as
    rows' texts may be translated."""
    if model._meta.label_lower not in _KEPT:
        return read()
    key = (*variant, translation.get_language())
    kept: dict[tuple[Any, ...], list[Any]] = cache.get(_key(model)) or {}
    choices = kept.get(key)
    if choices is None:
        choices = read()
        cache.set(_key(model), {**kept, key: choices}, CHOICES_TTL)
    return list(choices)


class KeptChoicesDropdownFilter(RelatedDropdownFilter):  # type: ignore[misc]  # unfold's filters are untyped
    """Unfold's related dropdown filter whose choices come from the cache (see the module docstring)."""

    def field_choices(self, field: Any, request: Any, model_admin: Any) -> list[tuple[Any, str]]:
        if field.get_limit_choices_to():
            return list(super().field_choices(field, request, model_admin))
        # The choices depend on the related admin's ordering.
        ordering = self.field_admin_ordering(field, request, model_admin)
        return kept_choices(
            field.remote_field.model,
            ("related", *(str(part) for part in ordering)),
            lambda: [
                (value, str(text))
                for value, text in super(KeptChoicesDropdownFilter, self).field_choices(field, request, model_admin)
            ],
        )
