"""Duplicate detection: a weighted score against earlier leads and clients by email, E.164 phone and affiliate id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection
from django.db.models import Q

from crm.customers.models import Customer
from crm.sales.models import Lead

# How much each matching key weighs; a match on several keys adds up (capped at 100).
WEIGHTS = {"external_id": 60, "email": 50, "phone": 40}
MAX_SCORE = 100


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def normalize_phone(raw: str | None, country: str | None = None) -> str:
    """The number in E.164 (`+447911123456`); "" for an empty value; ValueError when it is not a valid number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    region = (country or "").upper() or None
    if raw.isdigit() and region:
        # Spreadsheets drop the "+": digits starting with the country's calling code are international.
        code = str(phonenumbers.country_code_for_region(region))
        if code != "0" and raw.startswith(code):
            candidate = phonenumbers.parse("+" + raw, None)
            if phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class Match:
    """The best earlier record a new lead matches, and its score."""

    score: int = 0
    lead_id: int | None = None
    customer_id: int | None = None
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Keys:
    email: str = ""
    phone: str = ""
    external_id: str = ""
    affiliate_id: int | None = None


def _score(matched: Iterable[str]) -> int:
    return min(MAX_SCORE, sum(WEIGHTS[key] for key in set(matched)))


class DuplicateIndex:
    """Earlier leads and clients matching any of a batch's keys, read in three queries, then matched in memory.

    `add()` registers a record of the batch itself, so two rows of one file are caught too.
    """

    def __init__(self, keys: list[Keys], *, exclude_lead: int | None = None) -> None:
        emails = {k.email for k in keys if k.email}
        phones = {k.phone for k in keys if k.phone}
        external = {k.external_id for k in keys if k.external_id}
        self.leads: dict[tuple[str, object], list[int]] = {}
        self.customers: dict[tuple[str, object], int] = {}
        condition = Q(pk__in=[])
        if emails:
            condition |= Q(email__in=emails)
        if phones:
            condition |= Q(phone__in=phones)
        if external:
            condition |= Q(external_id__in=external)
        if emails or phones or external:
            rows = (
                Lead.objects.active()
                .filter(condition)
                .exclude(pk=exclude_lead)
                .order_by("pk")
                .values_list("pk", "email", "phone", "external_id", "affiliate_id")
            )
            for pk, email, phone, external_id, affiliate_id in rows:
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
        by_lead: dict[int, list[str]] = {}
        for name, value in self._pairs(keys):
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


def _customers_matching(emails: set[str], phones: set[str]) -> list[tuple[int, str, str]]:
    """Clients with one of the emails (through the case-insensitive unique index) or phones.

    Plain SQL: the phone field's own lookup would re-parse every number of a 2,000-row batch.
    """
    table = Customer._meta.db_table
    conditions, params = [], []
    if emails:
        conditions.append("LOWER(email) IN (" + ", ".join(["%s"] * len(emails)) + ")")
        params += sorted(emails)
    if phones:
        conditions.append("phone IN (" + ", ".join(["%s"] * len(phones)) + ")")
        params += sorted(phones)
    sql = f'SELECT id, email, phone FROM "{table}" WHERE ' + " OR ".join(conditions)  # noqa: S608 (placeholders)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def find_duplicate(keys: Keys, *, exclude_lead: int | None = None) -> Match:
    """The match of one record against every earlier lead and client."""
    return DuplicateIndex([keys], exclude_lead=exclude_lead).match(keys)
