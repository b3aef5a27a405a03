"""The one small HTTP client every provider adapter uses (SumSub, reCAPTCHA): tests mock `send`."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from crm.core import jsontext

DEFAULT_TIMEOUT = 10


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with a server error: worth retrying later."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return jsontext.loads(self.body.decode() or "null")


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> HttpResponse:
    """Send one request; 4xx answers come back as responses, network failures and 5xx raise ProviderUnavailable."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("Only http(s) URLs are allowed.")
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as raw:  # noqa: S310 - scheme checked above
            return HttpResponse(status=raw.status, body=raw.read(), headers=dict(raw.headers))
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise ProviderUnavailable(f"{url}: HTTP {exc.code}") from exc
        return HttpResponse(status=exc.code, body=exc.read(), headers=dict(exc.headers or {}))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
