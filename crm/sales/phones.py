"""E.164 phone normalisation, cheap enough for imports of millions of rows.

The answers are those of `phonenumbers.parse` + `is_valid_number` + `format_number(E164)`, reached faster:
each region's validity patterns are compiled once (phonenumbers looks them up again for every number and
tries every number type twice), and a plain international number (`+44 7911 123456`) is split into its
country code and national number without a full parse when no national prefix could be stripped from it.
Anything else goes through `phonenumbers.parse`. tests/sales/test_phones.py checks both against the library
for example numbers of every region, mangled in several ways.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

# The number types of phonenumbers' `_number_type_helper`; a number is valid when it matches the region's
# general description and one of these (the order only matters for speed: the common types first).
NUMBER_TYPES = (
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_SEPARATORS = str.maketrans("", "", " -.()")
_PLUS_DIGITS = re.compile(r"\+[1-9][0-9]{2,19}")
_MIN_NSN, _MAX_NSN, _MAX_CODE_DIGITS = 2, 17, 3

Desc = tuple[frozenset[int] | None, re.Pattern[str]]


def _desc(number_desc) -> Desc | None:
    if number_desc is None or not number_desc.national_number_pattern:
        return None
    lengths = frozenset(number_desc.possible_length) if number_desc.possible_length else None
    return lengths, re.compile(number_desc.national_number_pattern)


def _matches(nsn: str, desc: Desc | None) -> bool:
    if desc is None:
        return False
    lengths, pattern = desc
    return (lengths is None or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


class Region:
    """One region's metadata, compiled: its general and per-type patterns, leading digits, national prefix."""

    def __init__(self, metadata) -> None:
        self.general = _desc(metadata.general_desc)
        self.types = [desc for desc in (_desc(getattr(metadata, name)) for name in NUMBER_TYPES) if desc]
        self.leading_digits = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None

        # Per length of number: the patterns of the types a number of that length may be, as one alternation.
        self.types_by_length: dict[int, re.Pattern[str] | None] = {}

    def has_type(self, nsn: str) -> bool:
        """phonenumbers' number type is not UNKNOWN: the general pattern and one type's pattern match."""
        if not _matches(nsn, self.general):
            return False
        length = len(nsn)
        try:
            types = self.types_by_length[length]
        except KeyError:
            types = self.types_by_length[length] = self._types_of_length(length)
        return types is not None and types.fullmatch(nsn) is not None

    def _types_of_length(self, length: int) -> re.Pattern[str] | None:
        """One pattern that matches a whole number exactly when one of the types' patterns (of those whose
        possible lengths have `length`) does: the patterns have no back-references or flags to clash."""
        patterns = [pattern.pattern for lengths, pattern in self.types if lengths is None or length in lengths]
        return re.compile("|".join(f"(?:{pattern})" for pattern in patterns)) if patterns else None


@cache
def _region(country_code: int, region_code: str) -> Region | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region_code)
    return Region(metadata) if metadata is not None else None


# The country calling codes by their digits ("44": 44), to read a number's code without converting its digits.
_CODE_OF_DIGITS = {str(code): code for code in COUNTRY_CODE_TO_REGION_CODE}


@cache
def _main_region(country_code: int) -> Region | None:
    """The first region of a calling code (the one whose national prefix phonenumbers strips)."""
    return _region(country_code, COUNTRY_CODE_TO_REGION_CODE[country_code][0])


def is_valid(country_code: int, nsn: str) -> bool:
    """`phonenumbers.is_valid_number` for a country code and national significant number."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return False
    if len(regions) == 1:
        region = _main_region(country_code)
        return region is not None and region.has_type(nsn)
    # Several regions share the code (+1, +44, +7...): the number's region is the first whose leading
    # digits match, or, for regions without leading digits, the first where the number has a type.
    for region_code in regions:
        region = _region(country_code, region_code)
        if region is None:
            continue
        if region.leading_digits is not None:
            if region.leading_digits.match(nsn):
                return region.has_type(nsn)
        elif region.has_type(nsn):
            return True
    return False


def _split_international(raw: str) -> tuple[int, str] | None:
    """(country code, national number) of `+` and digits (spaces, dashes, dots, brackets allowed), the way
    `phonenumbers.parse` reads them; None when a full parse is needed (a national prefix might be stripped)."""
    # Most numbers of a file are written alike: the separators are only looked for when there is a non-digit.
    digits = raw if raw[1:].isdigit() else raw.translate(_SEPARATORS)
    if not _PLUS_DIGITS.fullmatch(digits):
        return None
    for length in range(1, _MAX_CODE_DIGITS + 1):
        country_code = _CODE_OF_DIGITS.get(digits[1 : 1 + length])
        if country_code is not None:
            break
    else:
        return None
    nsn = digits[1 + length :]
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return None
    main = _main_region(country_code)
    if main is None or (main.national_prefix is not None and main.national_prefix.match(nsn)):
        return None
    return country_code, nsn


def e164(raw: str, region: str | None = None) -> str | None:
    """The number in E.164 when it reads as a valid number (`region` for national numbers), else None."""
    parts = _split_international(raw) if raw.startswith("+") else None
    if parts is None:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None
        parts = number.country_code or 0, phonenumbers.national_significant_number(number)
    country_code, nsn = parts
    return f"+{country_code}{nsn}" if is_valid(country_code, nsn) else None


@cache
def _calling_code(region: str) -> str:
    return str(phonenumbers.country_code_for_region(region))


def normalize_phone(raw: str | None, country: str | None = None) -> str:
    """The number in E.164 (`+447911123456`); "" for an empty value; ValueError when it is not a valid number.

    `country` (ISO alpha-2) reads national numbers ("07911 123456"); a `00` prefix is an international one.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    region = (country or "").upper() or None
    if raw.isdigit() and region:
        # Spreadsheets drop the "+": digits starting with the country's calling code are international.
        code = _calling_code(region)
        if code != "0" and raw.startswith(code):
            number = e164("+" + raw)
            if number:
                return number
    number = e164(raw, None if raw.startswith("+") else region)
    if number is None:
        raise ValueError(f"{raw!r} is not a valid phone number.")
    return number
