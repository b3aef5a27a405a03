"""VoIP calls (000 Calls): provider settings, agent ids, click-to-call, and the providers' webhooks.

One provider is active (Settings #233-234, Calls #30-36); with none configured the built-in simulated
provider is, so click-to-call works on one machine. An agent calls a client or a lead they may see, through
their agent id at the active provider. The provider's webhooks are authenticated with the provider's webhook
token (`Authorization: Bearer <token>` or `?token=`), stored raw, de-duplicated (one authentic delivery per
event) and processed by a task: the call's status, duration and recording are kept, and once it ends it is
logged as the client's call (`customers.services.log_call`, which stamps `last_contact_at` and shows on the
timeline) or the lead's (`sales.services.log_lead_call`).
"""

from __future__ import annotations

import hmac
import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.communications.models import AgentMapping, CallEvent, ProviderCall, VoipProvider
from crm.communications.voip import BadCallEvent, CallUpdate, VoipUnavailable, get_adapter, secret
from crm.communications.work import CALL_EVENTS
from crm.core import crypto, work
from crm.core.exceptions import DomainError, NotFound
from crm.core.services import record_activity
from crm.customers import services as customer_services
from crm.customers.models import Call, Customer
from crm.sales import services as sales_services
from crm.sales.models import Lead
from crm.users.models import User

logger = logging.getLogger(__name__)
Status = ProviderCall.Status
OUTCOMES = {
    Status.COMPLETED: Call.Outcome.ANSWERED,
    Status.NO_ANSWER: Call.Outcome.NO_ANSWER,
    Status.BUSY: Call.Outcome.BUSY,
    Status.FAILED: Call.Outcome.NO_ANSWER,
}


class CallEventRefused(DomainError):
    status_code = 401
    code = "invalid_token"


class UnreadableCallEvent(DomainError):
    code = "bad_request"


# Providers -----------------------------------------------------------------------------------------


def _invalid(fields: dict[str, list[str]]) -> DomainError:
    return DomainError(_("The request has invalid fields."), code="validation_error", fields=fields)


def provider(code: str) -> VoipProvider:
    """The provider's settings row (made on first use; the simulated one gets a webhook token)."""
    if code not in VoipProvider.Code.values:
        raise NotFound(_("Unknown VoIP provider."))
    found, created = VoipProvider.objects.get_or_create(code=code)
    if created and code == VoipProvider.Code.SIMULATED:
        found.webhook_token_encrypted = crypto.encrypt(secrets.token_urlsafe(32))
        found.save(update_fields=["webhook_token_encrypted", "updated_at"])
    return found


def active_provider() -> VoipProvider:
    """The provider calls go through: the one staff activated, else the built-in simulated one."""
    return VoipProvider.objects.filter(is_active=True).first() or provider(VoipProvider.Code.SIMULATED)


def is_available(voip: VoipProvider) -> bool:
    return get_adapter(voip).is_available()


@transaction.atomic
def configure_provider(
    code: str,
    *,
    url: str | None = None,
    api_key: str | None = None,
    webhook_token: str | None = None,
    is_active: bool | None = None,
    actor: User | None,
) -> VoipProvider:
    """Change a provider's URL, API key, webhook token (both stored encrypted) or make it the active one."""
    voip = VoipProvider.objects.select_for_update().get(pk=provider(code).pk)
    if url is not None:
        voip.url = url
    if api_key:
        voip.api_key_encrypted = crypto.encrypt(api_key)
    if webhook_token:
        if len(webhook_token) < 16:
            raise _invalid({"webhook_token": [_("At least 16 characters.")]})
        voip.webhook_token_encrypted = crypto.encrypt(webhook_token)
    if is_active:
        if not get_adapter(voip).is_available():
            raise _invalid({"is_active": [_("Set the provider's URL (and API key) first.")]})
        VoipProvider.objects.exclude(pk=voip.pk).filter(is_active=True).update(is_active=False)
    if is_active is not None:
        voip.is_active = is_active
    voip.full_clean()
    voip.save()
    record_activity(
        actor=actor,
        action="voip_provider.changed",
        target=voip,
        data={"url": voip.url, "active": voip.is_active, "api_key_changed": bool(api_key)},
    )
    return voip


@transaction.atomic
def map_agent(agent: User, *, code: str, external_id: str, actor: User | None) -> AgentMapping:
    """Set the staff member's agent id at a provider (replacing an earlier one)."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise _invalid({"external_id": [_("Required.")]})
    if not agent.is_staff:
        raise _invalid({"agent_id": [_("Only staff make calls.")]})
    voip = provider(code)
    if AgentMapping.objects.filter(provider=voip, external_id=external_id).exclude(agent=agent).exists():
        raise _invalid({"external_id": [_("Another agent has this id.")]})
    mapping, _created = AgentMapping.objects.update_or_create(
        provider=voip, agent=agent, defaults={"external_id": external_id}
    )
    record_activity(actor=actor, action="voip_agent.mapped", target=agent, data={"provider": code, "id": external_id})
    return mapping


# Click-to-call -------------------------------------------------------------------------------------


def start_call(*, agent: User, customer: Customer | None = None, lead: Lead | None = None) -> ProviderCall:
    """Place a call from the agent to a client or a lead they may see, through the active provider.

    Refused with `no_agent_id` when the agent has no id at the provider, `no_phone` without a number, and
    `voip_unavailable` when the provider does not take the call (nothing is stored then)."""
    if (customer is None) == (lead is None):
        raise _invalid({"customer_id": [_("Give a client or a lead.")]})
    if customer is not None and not Customer.objects.visible_to(agent).filter(pk=customer.pk).exists():
        raise NotFound(_("Client not found."))
    if lead is not None and not Lead.objects.visible_to(agent).filter(pk=lead.pk).exists():
        raise NotFound(_("Lead not found."))
    phone = str((customer.phone if customer is not None else lead.phone if lead is not None else "") or "")
    if not phone:
        raise DomainError(_("There is no phone number to call."), code="no_phone")
    voip = active_provider()
    adapter = get_adapter(voip)
    mapping = AgentMapping.objects.filter(provider=voip, agent=agent).first()
    if mapping is None and voip.code != VoipProvider.Code.SIMULATED:
        raise DomainError(
            _("You have no agent id at %(provider)s.") % {"provider": voip.get_code_display()}, code="no_agent_id"
        )
    try:
        external_id = adapter.originate(
            agent_external_id=mapping.external_id if mapping else str(agent.pk), phone=phone
        )
    except VoipUnavailable as exc:
        logger.warning("Click-to-call through %s failed: %s", voip.code, exc)
        raise DomainError(_("The call could not be placed: %(why)s") % {"why": exc}, code="voip_unavailable") from exc
    with transaction.atomic():
        call = ProviderCall.objects.create(
            provider=voip, agent=agent, customer=customer, lead=lead, phone=phone, external_id=external_id[:100]
        )
        record_activity(
            actor=agent,
            action="voip_call.started",
            target=customer if customer is not None else lead,
            data={"provider": voip.code, "call_id": call.pk},
        )
        transaction.on_commit(lambda: adapter.after_originate(call))
    return call


# Webhooks ------------------------------------------------------------------------------------------


def receive_call_event(code: str, *, token: str, body: bytes, remote_ip: str | None) -> tuple[CallEvent, bool]:
    """Store a provider's webhook raw and check its token. Returns (event, is_new).

    A delivery with a wrong or missing token is stored as rejected and refused; an authentic one whose body
    cannot be read is stored as failed and refused; an authentic event already stored is not stored again."""
    voip = VoipProvider.objects.filter(code=code).first()
    if voip is None:
        raise NotFound(_("Unknown VoIP provider."))
    text = body.decode("utf-8", errors="replace")
    expected = secret(voip.webhook_token_encrypted)
    if not (expected and token and hmac.compare_digest(expected.encode(), token.encode())):
        event = CallEvent.objects.create(
            provider=voip,
            event_id=f"rejected:{secrets.token_hex(8)}",
            body=text,
            remote_ip=remote_ip,
            status=CallEvent.Status.REJECTED,
            error="missing or wrong token",
        )
        record_activity(actor=None, action="voip_webhook.rejected", target=event, data={"provider": code})
        raise CallEventRefused(_("The webhook token is missing or wrong."))
    try:
        update = get_adapter(voip).parse(body)
    except BadCallEvent as exc:
        CallEvent.objects.create(
            provider=voip,
            event_id=f"unreadable:{secrets.token_hex(8)}",
            body=text,
            remote_ip=remote_ip,
            is_authentic=True,
            status=CallEvent.Status.FAILED,
            error=str(exc),
        )
        raise UnreadableCallEvent(_("The body could not be read: %(why)s") % {"why": exc}) from exc
    key = _event_key(voip, update)
    try:
        with transaction.atomic():
            event = CallEvent.objects.create(
                provider=voip,
                event_id=key,
                body=text,
                remote_ip=remote_ip,
                is_authentic=True,
                next_attempt_at=work.first_due(CALL_EVENTS),
            )
            work.enqueue(CALL_EVENTS, event.pk)
    except IntegrityError:
        event = CallEvent.objects.get(provider=voip, event_id=key, is_authentic=True)
        work.requeue(CALL_EVENTS, [event.pk])
        return event, False
    return event, True


def _event_key(voip: VoipProvider, update: CallUpdate) -> str:
    """The de-duplication key: the call's id and what happened. A body that names no call (Voiso without
    `uuid`) is keyed by the agent's open call it will apply to, so the same outcome of two calls is not taken
    for one delivery; when the agent has no open call the delivery is kept and answered as matching none."""
    if update.external_id:
        return update.event_key[:200]
    open_call = _agent_open_calls(voip, update.agent_external_id).first()
    target = f"call-{open_call.pk}" if open_call else f"none-{secrets.token_hex(6)}"
    return f"{target}:{update.status}"[:200]


def _agent_open_calls(voip: VoipProvider, agent_external_id: str) -> QuerySet[ProviderCall]:
    mapping = AgentMapping.objects.filter(provider=voip, external_id=agent_external_id).first()
    if mapping is None:
        return ProviderCall.objects.none()
    return (
        ProviderCall.objects.filter(provider=voip, agent_id=mapping.agent_id)
        .exclude(status__in=ProviderCall.FINAL)
        .order_by("-created_at", "-pk")
    )


def _find_call(voip: VoipProvider, update: CallUpdate) -> ProviderCall | None:
    if update.external_id:
        return ProviderCall.objects.select_for_update().filter(provider=voip, external_id=update.external_id).first()
    return _agent_open_calls(voip, update.agent_external_id).select_for_update().first()


def process_call_event(event_id: int) -> CallEvent | None:
    """Apply one authentic webhook to its call; processing it again changes nothing."""
    with transaction.atomic():
        event = CallEvent.objects.select_for_update().select_related("provider").filter(pk=event_id).first()
        if event is None or event.status != CallEvent.Status.RECEIVED or not event.is_authentic:
            return event
        update = get_adapter(event.provider).parse(event.body.encode())
        call = _find_call(event.provider, update)
        if call is None:
            event.status, event.error = CallEvent.Status.FAILED, "No call matches this event."
        else:
            _apply(call, update)
            event.status = CallEvent.Status.PROCESSED
        event.processed_at = timezone.now()
        event.next_attempt_at = None
        event.save(update_fields=["status", "error", "processed_at", "next_attempt_at"])
    return event


def _apply(call: ProviderCall, update: CallUpdate) -> None:
    if update.duration is not None:
        call.duration = update.duration
    if update.recording_url:
        call.recording_url = update.recording_url[:1000]
    if update.status == Status.ANSWERED:
        call.was_answered = True
    if call.status in ProviderCall.FINAL:
        call.save(update_fields=["duration", "recording_url", "was_answered", "updated_at"])
        return  # a late progress report does not reopen an ended call
    final = update.status
    if final == Status.COMPLETED and not call.was_answered and call.provider.code != VoipProvider.Code.VOISO:
        final = Status.NO_ANSWER  # Coperato's END without ANSWERED: nobody picked up
    call.status = final
    if final in ProviderCall.FINAL:
        call.ended_at = timezone.now()
        _log(call)
    call.save()


def _log(call: ProviderCall) -> None:
    seconds = f", {call.duration} s" if call.duration is not None else ""
    recording = f", {_('recording')}: {call.recording_url}" if call.recording_url else ""
    status = str(ProviderCall.Status(call.status).label)
    note = f"{call.provider.get_code_display()} ({status}{seconds}){recording}"
    if call.customer is not None and call.agent is not None:
        call.call = customer_services.log_call(
            call.customer, outcome=OUTCOMES[Status(call.status)], actor=call.agent, note=note
        )
    elif call.lead is not None:
        sales_services.log_lead_call(call.lead, note=note, answered=call.status == Status.COMPLETED, actor=call.agent)


def give_up_call_events(pks: list[int]) -> None:
    CallEvent.objects.filter(pk__in=pks, status=CallEvent.Status.RECEIVED).update(
        status=CallEvent.Status.FAILED, error=_("Not processed within its attempts.")
    )
