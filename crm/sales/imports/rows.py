"""Column mapping and per-row validation of imported leads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.utils.translation import gettext as _
from django_countries import countries

from crm.sales.phones import normalize_phone

# Lead field -> header spellings recognised without a mapping (compared lower-case, without spaces, - and _).
ALIASES: dict[str, list[str]] = {
    "name": ["name", "fullname", "leadname", "clientname"],
    "first_name": ["firstname", "first", "givenname", "forename"],
    "last_name": ["lastname", "last", "surname", "familyname"],
    "email": ["email", "emailaddress", "mail"],
    "phone": ["phone", "mobile", "mobilenumber", "phonenumber", "telephone", "tel", "cell"],
    "country": ["country", "countrycode", "countryiso", "iso"],
    "language": ["language", "lang", "communicationlanguage", "locale"],
    "source": ["source", "leadsource"],
    "campaign": ["campaign", "campaignname"],
    "external_id": ["externalid", "leadid", "affiliateleadid", "affleadid"],
    "sub_id": ["subid", "sub"],
    "utm_source": ["utmsource"],
    "utm_medium": ["utmmedium"],
    "utm_campaign": ["utmcampaign"],
    "utm_term": ["utmterm"],
    "utm_content": ["utmcontent"],
    "can_be_called": ["canbecalled", "callable"],
}
FIELDS = list(ALIASES)
MAX_LENGTHS = {"first_name": 150, "last_name": 150, "email": 254, "source": 100, "external_id": 100, "language": 10}
NAMES = {"first_name", "last_name"}  # also filled from a "name" column
TRUNCATED = ["campaign", "sub_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
TRUE_WORDS = {"1", "true", "yes", "y", "x"}
_NOT_WORD = re.compile(r"[\s_\-]+")


def _key(header: str) -> str:
    return _NOT_WORD.sub("", header.lower())


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Lead field -> header, for the headers whose names we recognise."""
    by_key = {_key(h): h for h in headers if h}
    mapping = {}
    for name, spellings in ALIASES.items():
        for spelling in spellings:
            if spelling in by_key:
                mapping[name] = by_key[spelling]
                break
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, list[str]]:
    """Field errors of a mapping: unknown lead fields, headers not in the file, no email or phone column."""
    errors: dict[str, list[str]] = {}
    for name, header in mapping.items():
        if name not in ALIASES:
            errors[name] = [_("Unknown lead field; use one of %(FIELDS)s.") % {"FIELDS": ", ".join(FIELDS)}]
        elif header not in headers:
            errors[name] = [_("The file has no column %(header)s.") % {"header": repr(header)}]
    if not ({"email", "phone"} & set(mapping)):
        errors["mapping"] = [_("Map an email or a phone column.")]
    return errors


@lru_cache(maxsize=4096)
def country_code(value: str) -> str:
    """The ISO alpha-2 code of a code (alpha-2, alpha-3, numeric) or an English name; "" when unknown.

    Cached: a file names a few dozen countries, each thousands of times.
    """
    return countries.alpha2(value) or countries.by_name(value)


# Django's own email patterns, compiled once (validate_email reaches them through lazy objects).
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, re.IGNORECASE)
_EMAIL_DOMAIN = re.compile(EmailValidator.domain_regex.pattern, re.IGNORECASE)


@lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> bool:
    """The domain is one `validate_email` takes without its IP-literal rule. Cached: a file's addresses share
    a few domains."""
    return domain in validate_email.domain_allowlist or _EMAIL_DOMAIN.match(domain) is not None


def is_valid_email(value: str) -> bool:
    """Django's `validate_email`: the common case answered here, the rest (IP literals) by Django itself."""
    if "@" in value and len(value) <= 320:
        user, domain = value.rsplit("@", 1)
        if _EMAIL_USER.match(user) and _plain_domain(domain):
            return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@dataclass(slots=True)
class Row:
    number: int  # 1-based data row number (the header is row 0)
    raw: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _check_contact(values: dict[str, Any], errors: list[str]) -> None:
    """Country to its alpha-2 code, email lower-case, phone to E.164 (read with the country); reasons if not."""
    country = values.get("country", "")
    if country:
        values["country"] = code = country_code(country)
        if not code:
            errors.append(f"Unknown country {country!r}.")
    email = values["email"] = values.get("email", "").lower()
    if email and not is_valid_email(email):
        errors.append(f"Bad email {email!r}.")
    phone = values.get("phone", "")
    values["phone"] = ""
    if phone:
        try:
            values["phone"] = normalize_phone(phone, values.get("country") or None)
        except ValueError:
            errors.append(f"Bad phone {phone!r}.")
    if not email and not values["phone"] and not errors:
        errors.append("No email and no phone.")


class RowReader:
    """Turns a file row into lead values and reasons for rejection, using a fixed mapping."""

    def __init__(self, headers: list[str], mapping: dict[str, str]) -> None:
        index = {h: i for i, h in enumerate(headers)}
        self.columns = [(name, index[header]) for name, header in mapping.items() if header in index]
        mapped = {name for name, _position in self.columns}
        self.limits = [(name, length) for name, length in MAX_LENGTHS.items() if name in mapped or name in NAMES]
        self.truncated = [name for name in TRUNCATED if name in mapped]
        # A row as wide as the mapping needs (most rows) has its values picked in one call.
        positions = [position for _name, position in self.columns]
        self.names = [name for name, _position in self.columns]
        self.width = max(positions, default=0) + 1
        self.pick = itemgetter(*positions) if len(positions) > 1 else None

    def read(self, number: int, raw: list[str]) -> Row:
        if self.pick is not None and len(raw) >= self.width:
            values: dict[str, Any] = dict(zip(self.names, map(str.strip, self.pick(raw)), strict=True))
        else:
            width = len(raw)
            values = {name: raw[position].strip() if position < width else "" for name, position in self.columns}
        errors: list[str] = []
        row = Row(number, raw, values, errors)
        full_name = values.pop("name", "")
        if full_name and not values.get("first_name") and not values.get("last_name"):
            values["first_name"], _unused, values["last_name"] = full_name.partition(" ")
        _check_contact(values, errors)
        if "can_be_called" in values:
            word = values["can_be_called"].lower()
            values["can_be_called"] = True if not word else word in TRUE_WORDS
        if "language" in values:
            values["language"] = values["language"].lower()
        for name, length in self.limits:
            if len(values.get(name) or "") > length:
                errors.append(f"{name} is longer than {length} characters.")
        for name in self.truncated:
            values[name] = values[name][:255]
        return row
