"""The session engine: Django's database sessions, each request's session read without the ORM building its query.

Every staff request loads its session first; the ORM built the same `SELECT ... WHERE session_key = ... AND
expire_date > now` on every request, which cost several times the query itself. The table, the encoding, saving
and expiry are Django's (`django.contrib.sessions.backends.db`): sessions opened before stay valid, those that name
Django's ModelBackend (the project's backend before `crm.users.backends.UserBackend`) read as naming UserBackend.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        # As Django's load(): the session's data if it has not expired, else nothing and no key.
        model = self.model
        using = router.db_for_read(model)
        with connections[using].cursor() as cursor:
            cursor.execute(_session_sql(model._meta.label, using), [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        backends = settings.AUTHENTICATION_BACKENDS
        if data.get(BACKEND_SESSION_KEY) == _DJANGOS and _DJANGOS not in backends and _OURS in backends:
            data[BACKEND_SESSION_KEY] = _OURS  # a subclass that answers the same
        return data


_DJANGOS, _OURS = "django.contrib.auth.backends.ModelBackend", "crm.users.backends.UserBackend"


@cache
def _session_sql(label: str, using: str) -> str:
    from django.apps import apps

    model: Any = apps.get_model(label)
    quote = connections[using].ops.quote_name

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return (
        f"SELECT {column('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )
