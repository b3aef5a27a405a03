"""Duplicate detection: a weighted score against earlier leads and clients by email, E.164 phone and affiliate id."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection

from crm.customers.models import Customer
from crm.sales.models import Lead

# How much each matching key weighs; a match on several keys adds up (capped at 100).
WEIGHTS = {"external_id": 60, "email": 50, "phone": 40}
MAX_SCORE = 100


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


@dataclass
class Match:
    """The best earlier record a new lead matches, and its score."""

    score: int = 0
    lead_id: int | None = None
    customer_id: int | None = None
    keys: list[str] = field(default_factory=list)


class Keys(NamedTuple):  # a tuple: an import makes one per row
    email: str = ""
    phone: str = ""
    external_id: str = ""
    affiliate_id: int | None = None


def _score(matched: Iterable[str]) -> int:
    return min(MAX_SCORE, sum(WEIGHTS[key] for key in set(matched)))


class DuplicateIndex:
    """Earlier leads and clients matching any of a batch's keys, read in two queries, then matched in memory.

    `add()` registers a record of the batch itself, so two rows of one file are caught too.
    """

    def __init__(self, keys: list[Keys], *, exclude_lead: int | None = None) -> None:
        emails = {k.email for k in keys if k.email}
        phones = {k.phone for k in keys if k.phone}
        external = {k.external_id for k in keys if k.external_id}
        self.leads: dict[tuple[str, object], list[int]] = {}
        self.customers: dict[tuple[str, object], int] = {}
        if emails or phones or external:
            for pk, email, phone, external_id, affiliate_id in _leads_matching(emails, phones, external, exclude_lead):
                self.add(pk, Keys(email, phone, external_id, affiliate_id))
        if emails or phones:
            for pk, email, phone in _customers_matching(emails, phones):
                if email:
                    self.customers.setdefault(("email", email.lower()), pk)
                if phone:
                    self.customers.setdefault(("phone", str(phone)), pk)

    def add(self, lead_id: int, keys: Keys) -> None:
        for name, value in self._pairs(keys):
            self.leads.setdefault((name, value), []).append(lead_id)

    @staticmethod
    def _pairs(keys: Keys) -> list[tuple[str, object]]:
        pairs: list[tuple[str, object]] = []
        if keys.email:
            pairs.append(("email", keys.email))
        if keys.phone:
            pairs.append(("phone", keys.phone))
        if keys.external_id:
            # An affiliate's lead id is only unique for that affiliate.
            pairs.append(("external_id", (keys.affiliate_id, keys.external_id)))
        return pairs

    def match(self, keys: Keys) -> Match:
        """The earlier lead (highest score, then oldest) or client this record duplicates."""
        pairs = self._pairs(keys)
        for pair in pairs:
            if pair in self.leads or pair in self.customers:
                return self._best(pairs, keys)
        return Match()  # the common case, answered in a few dictionary lookups

    def add_if_new(self, lead_id: int, keys: Keys) -> Match | None:
        """`match`, and when the record matches nothing, `add` it: an import's rows, each checked against the
        earlier records and the file's earlier rows. None for no match (most rows: no Match object made)."""
        pairs = self._pairs(keys)
        leads = self.leads
        for pair in pairs:
            if pair in leads or pair in self.customers:
                return self._best(pairs, keys)
        for pair in pairs:
            leads[pair] = [lead_id]
        return None

    def _best(self, pairs: list[tuple[str, object]], keys: Keys) -> Match:
        by_lead: dict[int, list[str]] = {}
        for name, value in pairs:
            for lead_id in self.leads.get((name, value), []):
                by_lead.setdefault(lead_id, []).append(name)
        customer_keys: dict[int, list[str]] = {}
        for name in ("email", "phone"):
            value = getattr(keys, name)
            customer_id = self.customers.get((name, value)) if value else None
            if customer_id:
                customer_keys.setdefault(customer_id, []).append(name)
        best = Match()
        for lead_id, names in sorted(by_lead.items()):
            if _score(names) > best.score:
                best = Match(score=_score(names), lead_id=lead_id, keys=sorted(set(names)))
        for customer_id, names in sorted(customer_keys.items()):
            score = _score(names)
            if score > best.score or (best.customer_id is None and score):
                best.customer_id = customer_id
                if score > best.score:
                    best.score = score
                    best.keys = sorted(set(best.keys) | set(names))
        return best


def _any(column: str, values: set[str], params: list) -> str:
    """`column` equal to one of `values`.

    On PostgreSQL the values travel as one JSON text, unpacked into an array by an InitPlan: the planner
    then probes the column's index for each value whatever its statistics say (with the array inline it
    chose a full scan of a table of 100,000 leads for a 2,000-row batch, 4x slower), and the client sends
    one string instead of quoting thousands. Elsewhere, a list of placeholders.
    """
    if connection.vendor == "postgresql":
        params.append(json.dumps(list(values)))  # any order: ANY() does not care, and sorting 2,000 keys costs
        return f"{column} = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
    params.extend(sorted(values))
    return f"{column} IN (" + ", ".join(["%s"] * len(values)) + ")"


def _leads_matching(
    emails: set[str], phones: set[str], external: set[str], exclude_lead: int | None
) -> list[tuple[int, str, str, str, int | None]]:
    """Active (not merged) leads with one of the emails, phones or affiliate lead ids, oldest first.

    Plain SQL (see `_any`): the ORM's IN lists of a 2,000-row batch cost more to build than the query to run.
    """
    params: list = []
    conditions = [_any(column, values, params) for column, values in (("email", emails), ("phone", phones)) if values]
    if external:
        # Spelled out so the planner can use the partial index lead_external_id_idx (external_id <> '').
        conditions.append(f"(external_id <> '' AND {_any('external_id', external, params)})")
    sql = (
        f'SELECT id, email, phone, external_id, affiliate_id FROM "{Lead._meta.db_table}" '  # noqa: S608
        f"WHERE merged_into_id IS NULL AND ({' OR '.join(conditions)})"
    )
    if exclude_lead is not None:
        sql += " AND id <> %s"
        params.append(exclude_lead)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", params)
        return list(cursor.fetchall())


def _customers_matching(emails: set[str], phones: set[str]) -> list[tuple[int, str, str]]:
    """Clients with one of the emails (through the case-insensitive unique index) or phones.

    Plain SQL: the phone field's own lookup would re-parse every number of a 2,000-row batch.
    """
    params: list = []
    conditions = []
    if emails:
        conditions.append(_any("LOWER(email)", emails, params))
    if phones:
        conditions.append(_any("phone", phones, params))
    sql = f'SELECT id, email, phone FROM "{Customer._meta.db_table}" WHERE ' + " OR ".join(conditions)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def find_duplicate(keys: Keys, *, exclude_lead: int | None = None) -> Match:
    """The match of one record against every earlier lead and client."""
    return DuplicateIndex([keys], exclude_lead=exclude_lead).match(keys)
