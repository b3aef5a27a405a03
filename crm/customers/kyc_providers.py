"""KYC providers behind one small interface: the built-in manual provider (offline) and SumSub.

The provider in use is the setting `kyc.provider` ("manual" by default). SumSub's credentials are in the
settings store (`sumsub.api_url`, `sumsub.app_token`, `sumsub.secret_key`, `sumsub.level_name`,
`sumsub.webhook_secret_key`), the secret ones encrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from crm.core import http
from crm.core.services import get_setting
from crm.customers.exceptions import KycProviderError
from crm.customers.models import Customer

PROVIDER_SETTING = "kyc.provider"
MANUAL = "manual"
SUMSUB = "sumsub"
PROVIDER_CHOICES = [(MANUAL, "Manual upload"), (SUMSUB, "SumSub")]
SUMSUB_SETTINGS = {
    "api_url": ("sumsub.api_url", False),
    "app_token": ("sumsub.app_token", True),
    "secret_key": ("sumsub.secret_key", True),
    "level_name": ("sumsub.level_name", False),
    "webhook_secret_key": ("sumsub.webhook_secret_key", True),
}
DEFAULT_SUMSUB_URL = "https://api.sumsub.com"
ACCESS_TOKEN_TTL = 600


@dataclass(frozen=True)
class KycSession:
    """What the portal needs to start KYC: the provider, and for an SDK provider its token and level."""

    provider: str
    token: str | None = None
    level_name: str | None = None


def external_user_id(customer: Customer) -> str:
    return f"customer-{customer.pk}"


def customer_id_from_external(value: str) -> int | None:
    prefix, _unused, number = (value or "").partition("-")
    return int(number) if prefix == "customer" and number.isdigit() else None


class ManualProvider:
    """Documents uploaded in the portal and reviewed by compliance in the admin; needs no network."""

    name = MANUAL

    def start(self, customer: Customer) -> KycSession:
        return KycSession(provider=self.name)


class SumsubClient:
    """SumSub's REST API with its request signature (HMAC-SHA256 of ts + method + path + body)."""

    def __init__(self, *, api_url: str, app_token: str, secret_key: str) -> None:
        self.api_url = (api_url or DEFAULT_SUMSUB_URL).rstrip("/")
        self.app_token = app_token
        self.secret_key = secret_key

    @classmethod
    def from_settings(cls) -> SumsubClient:
        return cls(
            api_url=get_setting("sumsub.api_url", default=DEFAULT_SUMSUB_URL),
            app_token=get_setting("sumsub.app_token", default=""),
            secret_key=get_setting("sumsub.secret_key", default=""),
        )

    def signature(self, ts: str, method: str, path: str, body: bytes) -> str:
        message = ts.encode() + method.upper().encode() + path.encode() + body
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> http.HttpResponse:
        if not (self.app_token and self.secret_key):
            raise KycProviderError(_("SumSub is not configured."), code="kyc_provider_not_configured")
        body = json.dumps(payload).encode() if payload is not None else b""
        ts = str(int(time.time()))
        headers = {
            "Accept": "application/json",
            "X-App-Token": self.app_token,
            "X-App-Access-Ts": ts,
            "X-App-Access-Sig": self.signature(ts, method, path, body),
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        response = http.send(method, self.api_url + path, headers=headers, body=body or None)
        if response.status >= 400:
            raise KycProviderError(
                _("SumSub answered %(status)s to %(method)s %(path)s.")
                % {"status": response.status, "method": method, "path": path}
            )
        return response

    def access_token(self, user_id: str, *, level_name: str, ttl: int = ACCESS_TOKEN_TTL) -> str:
        """A token for the portal's WebSDK, for one applicant and level."""
        payload = {"userId": user_id, "levelName": level_name, "ttlInSecs": ttl}
        answer = self.request("POST", "/resources/accessTokens/sdk", payload).json()
        if not isinstance(answer, dict) or not answer.get("token"):
            raise KycProviderError(_("SumSub gave no token."))
        return answer["token"]

    def required_documents(self, applicant_id: str) -> dict[str, Any]:
        """Per document set (IDENTITY, SELFIE ...): its type, review answer and image ids."""
        answer = self.request("GET", f"/resources/applicants/{applicant_id}/requiredIdDocsStatus").json()
        return answer if isinstance(answer, dict) else {}

    def image(self, inspection_id: str, image_id: str) -> bytes:
        return self.request("GET", f"/resources/inspections/{inspection_id}/resources/{image_id}").body


class SumsubProvider:
    """SumSub's WebSDK in the portal; results arrive by webhook."""

    name = SUMSUB

    def __init__(self, client: SumsubClient | None = None) -> None:
        self.client = client or SumsubClient.from_settings()

    def start(self, customer: Customer) -> KycSession:
        level = get_setting("sumsub.level_name", default="")
        if not level:
            raise KycProviderError(_("SumSub has no level configured."), code="kyc_provider_not_configured")
        try:
            token = self.client.access_token(external_user_id(customer), level_name=level)
        # Unreachable, answering garbage, or an api_url that is no http(s) URL. The client waits in the
        # portal: a clear refusal, no retry.
        except (http.ProviderUnavailable, ValueError) as exc:
            raise KycProviderError(
                _("SumSub cannot be reached; try again later."), code="kyc_provider_unavailable"
            ) from exc
        return KycSession(provider=self.name, token=token, level_name=level)


def current_provider_name() -> str:
    name = get_setting(PROVIDER_SETTING, default=MANUAL)
    return name if name in (MANUAL, SUMSUB) else MANUAL


def get_provider() -> ManualProvider | SumsubProvider:
    return SumsubProvider() if current_provider_name() == SUMSUB else ManualProvider()


DIGEST_ALGORITHMS = {
    "HMAC_SHA1_HEX": hashlib.sha1,
    "HMAC_SHA256_HEX": hashlib.sha256,
    "HMAC_SHA512_HEX": hashlib.sha512,
}


def sumsub_webhook_digest(body: bytes, *, secret: str, algorithm: str = "HMAC_SHA256_HEX") -> str | None:
    """The digest SumSub sends in X-Payload-Digest for this body, or None for an unknown algorithm."""
    digestmod = DIGEST_ALGORITHMS.get(algorithm or "HMAC_SHA256_HEX")
    if digestmod is None:
        return None
    return hmac.new(secret.encode(), body, digestmod).hexdigest()


# SumSub document types -> ours
SUMSUB_DOCUMENT_TYPES = {
    "PASSPORT": "passport",
    "ID_CARD": "id_card",
    "RESIDENCE_PERMIT": "id_card",
    "DRIVERS": "driving_license",
    "SELFIE": "selfie",
    "UTILITY_BILL": "proof_of_address",
    "PROOF_OF_RESIDENCE": "proof_of_address",
    "BANK_STATEMENT": "bank_statement",
    "INCOME_SOURCE": "funds_proof",
    "COMPANY_DOC": "corporate",
}
