"""The fast phone normalisation gives the answers of phonenumbers' parse + is_valid_number + format_number."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from crm.sales.phones import normalize_phone

TYPES = [PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP]


def reference(raw: str | None, country: str | None = None) -> str:
    """The library's answer, the way normalize_phone states its rules."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    region = (country or "").upper() or None
    if raw.isdigit() and region:
        code = str(phonenumbers.country_code_for_region(region))
        if code != "0" and raw.startswith(code):
            try:
                candidate = phonenumbers.parse("+" + raw, None)
            except phonenumbers.NumberParseException:
                candidate = None
            if candidate is not None and phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def outcome(function, raw, country):
    try:
        return function(raw, country)
    except ValueError:
        return "invalid"


def variants(number: phonenumbers.PhoneNumber, rng: random.Random) -> list[str]:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    digits = e164[1:]
    position = rng.randrange(1, len(digits))
    changed = digits[:position] + str((int(digits[position]) + rng.randrange(1, 10)) % 10) + digits[position + 1 :]
    return [
        e164,
        phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        digits,
        "00" + digits,
        "+" + changed,
        e164[:-1],
        e164 + str(rng.randrange(10)),
        "+" + digits[: len(str(number.country_code))] + "0" + digits[len(str(number.country_code)) :],
        f"+{number.country_code} ({rng.randrange(10)}) {phonenumbers.national_significant_number(number)}",
    ]


def test_matches_the_library_for_every_region():
    rng = random.Random(20261121)  # noqa: S311 (repeatable cases, not secrets)
    cases = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                cases += [(raw, country) for raw in variants(example, rng) for country in (region, None)]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            cases += [(raw, None) for raw in variants(example, rng)]
    assert len(cases) > 5000

    different = [
        (raw, country, outcome(normalize_phone, raw, country), outcome(reference, raw, country))
        for raw, country in cases
        if outcome(normalize_phone, raw, country) != outcome(reference, raw, country)
    ]

    assert different == []


def test_matches_the_library_for_random_digits():
    rng = random.Random(7)  # noqa: S311 (repeatable cases, not secrets)
    cases = [("+" + "".join(rng.choice("0123456789") for _ in range(rng.randrange(3, 16))), None) for _ in range(3000)]
    cases += [("".join(rng.choice("0123456789") for _ in range(rng.randrange(3, 13))), "GB") for _ in range(500)]

    different = [(raw, c) for raw, c in cases if outcome(normalize_phone, raw, c) != outcome(reference, raw, c)]

    assert different == []


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+44 7911 123456", None, "+447911123456"),
        ("07911 123456", "GB", "+447911123456"),
        ("447911123456", "GB", "+447911123456"),
        ("0044 7911 123456", None, "+447911123456"),
        ("+44 (0) 7911 123456", None, "+447911123456"),
        ("+1 (212) 555-0123", None, "+12125550123"),
        ("+44 7911 12345", None, "invalid"),
        ("+1 650-253-0000", None, "+16502530000"),
        ("44", "GB", "invalid"),
        ("123", "GB", "invalid"),
        ("", "GB", ""),
        ("+7 912 345 67 89", None, "+79123456789"),
    ],
)
def test_known_numbers(raw, country, expected):
    assert outcome(normalize_phone, raw, country) == expected
