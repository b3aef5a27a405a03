"""Column mapping and per-row validation of imported leads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django_countries import countries

from crm.sales.services.duplicates import normalize_phone

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
MAX_LENGTHS = {"first_name": 150, "last_name": 150, "source": 100, "external_id": 100, "language": 10}
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
            errors[name] = [f"Unknown lead field; use one of {', '.join(FIELDS)}."]
        elif header not in headers:
            errors[name] = [f"The file has no column {header!r}."]
    if not ({"email", "phone"} & set(mapping)):
        errors["mapping"] = ["Map an email or a phone column."]
    return errors


@dataclass
class Row:
    number: int  # 1-based data row number (the header is row 0)
    raw: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class RowReader:
    """Turns a file row into lead values and reasons for rejection, using a fixed mapping."""

    def __init__(self, headers: list[str], mapping: dict[str, str]) -> None:
        index = {h: i for i, h in enumerate(headers)}
        self.columns = [(name, index[header]) for name, header in mapping.items() if header in index]

    def read(self, number: int, raw: list[str]) -> Row:
        row = Row(number, raw)
        values = row.values
        for name, position in self.columns:
            values[name] = raw[position].strip() if position < len(raw) else ""
        full_name = values.pop("name", "")
        if full_name and not values.get("first_name") and not values.get("last_name"):
            values["first_name"], _, values["last_name"] = full_name.partition(" ")
        self._country(row)
        self._email(row)
        self._phone(row)
        if not values.get("email") and not values.get("phone") and not row.errors:
            row.errors.append("No email and no phone.")
        if "can_be_called" in values:
            word = values["can_be_called"].lower()
            values["can_be_called"] = True if not word else word in TRUE_WORDS
        if "language" in values:
            values["language"] = values["language"].lower()
        for name, length in MAX_LENGTHS.items():
            if len(values.get(name) or "") > length:
                row.errors.append(f"{name} is longer than {length} characters.")
        for name in ("campaign", "sub_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
            if name in values:
                values[name] = values[name][:255]
        return row

    @staticmethod
    def _country(row: Row) -> None:
        value = row.values.get("country", "")
        if not value:
            return
        code = countries.alpha2(value) or countries.by_name(value)
        if not code:
            row.errors.append(f"Unknown country {value!r}.")
            row.values["country"] = ""
        else:
            row.values["country"] = code

    @staticmethod
    def _email(row: Row) -> None:
        value = row.values.get("email", "").lower()
        row.values["email"] = value
        if not value:
            return
        try:
            validate_email(value)
        except ValidationError:
            row.errors.append(f"Bad email {value!r}.")

    @staticmethod
    def _phone(row: Row) -> None:
        value = row.values.get("phone", "")
        if not value:
            row.values["phone"] = ""
            return
        try:
            row.values["phone"] = normalize_phone(value, row.values.get("country") or None)
        except ValueError:
            row.errors.append(f"Bad phone {value!r}.")
            row.values["phone"] = ""
