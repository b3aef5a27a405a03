"""History server payloads carry amounts as JSON numbers (the seed's `1`), written exactly from Decimals.

The standard encoders would go through float; here a Decimal is written as a marker string carrying a random
nonce, and the markers are replaced by the plain decimal text afterwards (`12.5`, never `12.500000000000002`).
The rates to the root asset (RAT) are read once per request with the wallets' conversion rules.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, DecimalField, Value, When
from django.db.models.expressions import Expression
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from crm.wallets.exceptions import NoExchangeRate
from crm.wallets.models import Currency
from crm.wallets.services.rates import current_rate

RATE_FIELD = DecimalField(max_digits=28, decimal_places=12)
AMOUNT_FIELD = DecimalField(max_digits=38, decimal_places=12)


def plain(value: Decimal) -> str:
    return "0" if value == 0 else format(value.normalize(), "f")


class ExactNumbersRenderer(JSONRenderer):
    """JSON with every Decimal as an exact number."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        nonce = secrets.token_hex(8)

        class Encoder(JSONEncoder):
            def default(self, obj: Any) -> Any:
                if isinstance(obj, Decimal):
                    return f"\x00{nonce}:{plain(obj)}"
                return super().default(obj)

        text = json.dumps(data, cls=Encoder, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        marker = re.compile(r'"\\u0000' + nonce + r':(-?[0-9.]+)"')
        return marker.sub(r"\1", text).encode()


def root_asset() -> str:
    return str(settings.ROOT_ASSET)


def rates_to_root() -> dict[str, Decimal | None]:
    """Every currency's rate to the root asset now (None when no rate or conversion path reaches it)."""
    root = root_asset()
    rates: dict[str, Decimal | None] = {}
    for code in Currency.objects.order_by("code").values_list("code", flat=True):
        try:
            rates[code] = current_rate(code, root)
        except NoExchangeRate:
            rates[code] = None
    return rates


def rate_of(path: str, rates: dict[str, Decimal | None]) -> Expression:
    """SQL: the rate to the root asset of the currency code at `path` (NULL when there is none)."""
    whens = [When(**{path: code}, then=Value(rate)) for code, rate in rates.items() if rate is not None]
    if not whens:
        return Value(None, output_field=RATE_FIELD)
    return Case(*whens, default=Value(None), output_field=RATE_FIELD)
