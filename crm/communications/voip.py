"""VoIP provider adapters: click-to-call, availability, and reading a provider's webhook.

Each adapter turns the provider's webhook body into a `CallUpdate` (which call, what happened) and places a
call for an agent; `SimulatedAdapter` is the built-in one, which answers its own calls through our webhook
receiver so the whole flow runs on one machine.

- Voiso (click2call): `GET {url}/api/v1/{api key}/click2call?agent=<agent id>&number=<phone>`, answered with
  the call's `uuid`; webhook: `disposition` (answered, no_answer, busy, failed), `duration`, `account_id` and
  the call's `uuid` (a body without it is matched to the agent's last open call).
- Coperato: `POST {url}` with JSON `{"agentId", "phone"}`, answered with the call's `guid`; webhook: `status`
  (RINGING, ANSWERED, END), `duration`, `guid`, `recordingFile`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from django.utils.translation import gettext as _

from crm.communications.models import ProviderCall, VoipProvider
from crm.core import crypto

TIMEOUT = 10
Status = ProviderCall.Status


class VoipUnavailable(Exception):
    """The provider could not place the call (not configured, refused, unreachable)."""


class BadCallEvent(Exception):
    """A webhook body that cannot be read."""


@dataclass(frozen=True)
class CallUpdate:
    external_id: str  # empty: match the agent's last open call
    agent_external_id: str
    status: str
    duration: int | None
    recording_url: str
    event_key: str  # de-duplication key of this delivery


def secret(token: str) -> str:
    return crypto.decrypt(token) if token else ""


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError) as exc:
        raise BadCallEvent(_("The body is not JSON (or is nested too deep).")) from exc
    if not isinstance(data, dict):
        raise BadCallEvent(_("The body is not a JSON object."))
    return data


def _duration(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError) as exc:
        raise BadCallEvent(_("duration is not a number.")) from exc


class Adapter:
    code = ""

    def __init__(self, provider: VoipProvider) -> None:
        self.provider = provider

    def is_available(self) -> bool:
        return bool(self.provider.url)

    def originate(self, *, agent_external_id: str, phone: str) -> str:
        raise NotImplementedError

    def parse(self, body: bytes) -> CallUpdate:
        raise NotImplementedError

    def after_originate(self, call: ProviderCall) -> None:
        """Called after commit once the call is stored (the simulated provider reports its call then)."""


class VoisoAdapter(Adapter):
    code = VoipProvider.Code.VOISO
    DISPOSITIONS = {"answered": Status.COMPLETED, "no_answer": Status.NO_ANSWER, "busy": Status.BUSY}

    def is_available(self) -> bool:
        return bool(self.provider.url and self.provider.api_key_encrypted)

    def originate(self, *, agent_external_id: str, phone: str) -> str:
        if not self.is_available():
            raise VoipUnavailable(_("Voiso is not configured (URL and API key)."))
        url = f"{self.provider.url.rstrip('/')}/api/v1/{secret(self.provider.api_key_encrypted)}/click2call"
        try:
            response = requests.get(
                url, params={"agent": agent_external_id, "number": phone.lstrip("+")}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise VoipUnavailable(_("Voiso unreachable: %(error)s") % {"error": type(exc).__name__}) from exc
        if response.status_code >= 300:
            raise VoipUnavailable(_("Voiso answered %(status)s.") % {"status": response.status_code})
        try:
            data = response.json()
        except ValueError:
            data = {}
        return str(data.get("uuid") or data.get("call_id") or "") or f"voiso-{uuid.uuid4().hex}"

    def parse(self, body: bytes) -> CallUpdate:
        data = _json(body)
        disposition = str(data.get("disposition") or "")
        status = self.DISPOSITIONS.get(disposition, Status.FAILED if disposition == "failed" else "")
        if not status:
            raise BadCallEvent(_("disposition is not one of answered, no_answer, busy, failed."))
        external_id = str(data.get("uuid") or data.get("call_id") or "")
        agent = str(data.get("account_id") or data.get("agent") or "")
        if not (external_id or agent):
            raise BadCallEvent(_("The body names no call (uuid) and no agent (account_id)."))
        key = f"{external_id or 'agent:' + agent}:{disposition}"
        return CallUpdate(external_id, agent, status, _duration(data.get("duration")), "", key)


class CoperatoAdapter(Adapter):
    code = VoipProvider.Code.COPERATO
    STATUSES = {"RINGING": Status.RINGING, "ANSWERED": Status.ANSWERED, "END": Status.COMPLETED}

    def originate(self, *, agent_external_id: str, phone: str) -> str:
        if not self.is_available():
            raise VoipUnavailable(_("Coperato is not configured (URL)."))
        try:
            response = requests.post(
                self.provider.url, json={"agentId": agent_external_id, "phone": phone}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise VoipUnavailable(_("Coperato unreachable: %(error)s") % {"error": type(exc).__name__}) from exc
        if response.status_code >= 300:
            raise VoipUnavailable(_("Coperato answered %(status)s.") % {"status": response.status_code})
        try:
            data = response.json()
        except ValueError:
            data = {}
        return str(data.get("guid") or "") or f"coperato-{uuid.uuid4().hex}"

    def parse(self, body: bytes) -> CallUpdate:
        data = _json(body)
        status = self.STATUSES.get(str(data.get("status") or ""))
        if status is None:
            raise BadCallEvent(_("status is not one of RINGING, ANSWERED, END."))
        guid = str(data.get("guid") or "")
        if not guid:
            raise BadCallEvent(_("guid is missing."))
        recording = str(data.get("recordingFile") or "")
        return CallUpdate(guid, "", status, _duration(data.get("duration")), recording, f"{guid}:{data['status']}")


class SimulatedAdapter(Adapter):
    """Offline provider: every call rings, is answered and ends after 42 seconds, reported through our own
    webhook receiver (authenticated like a real provider's)."""

    code = VoipProvider.Code.SIMULATED
    STATUSES = {"ringing": Status.RINGING, "answered": Status.ANSWERED, "completed": Status.COMPLETED}

    def is_available(self) -> bool:
        return True

    def originate(self, *, agent_external_id: str, phone: str) -> str:
        return f"sim-{uuid.uuid4().hex}"

    def parse(self, body: bytes) -> CallUpdate:
        data = _json(body)
        status = self.STATUSES.get(str(data.get("status") or ""))
        call_id = str(data.get("call_id") or "")
        if status is None or not call_id:
            raise BadCallEvent(_("status or call_id is missing."))
        return CallUpdate(call_id, "", status, _duration(data.get("duration")), "", f"{call_id}:{data['status']}")

    def after_originate(self, call: ProviderCall) -> None:
        from crm.communications.services import calls

        token = secret(self.provider.webhook_token_encrypted)
        for status, duration in (("ringing", None), ("answered", None), ("completed", 42)):
            body = json.dumps({"call_id": call.external_id, "status": status, "duration": duration}).encode()
            calls.receive_call_event(self.provider.code, token=token, body=body, remote_ip=None)


ADAPTERS: dict[str, type[Adapter]] = {
    VoipProvider.Code.VOISO: VoisoAdapter,
    VoipProvider.Code.COPERATO: CoperatoAdapter,
    VoipProvider.Code.SIMULATED: SimulatedAdapter,
}


def get_adapter(provider: VoipProvider) -> Adapter:
    return ADAPTERS[provider.code](provider)
