"""Provider callbacks at /webhooks/<provider>/ and the sandbox provider's checkout page."""

from __future__ import annotations

from typing import cast

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.api.errors import error_body
from crm.core.exceptions import NotFound
from crm.core.middleware import client_ip, content_length
from crm.payments import services
from crm.payments.adapters import ProviderEvent, SandboxAdapter, get_adapter
from crm.payments.models import ProviderPayment

MAX_BODY = 256 * 1024


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Store the delivery raw, then answer: 401 for a bad signature or a stale timestamp (saying which), 400 for
    a signed body that cannot be read, 200 for a new or repeated event.

    A stored event is answered 200 whatever the broker's state: its task is sent after commit, best effort,
    and the sweep processes it when that message is lost (crm.core.work)."""
    # Django reads no more than Content-Length: refused before reading, the body is never held.
    if content_length(request) > MAX_BODY:
        return JsonResponse(error_body("too_large", "The request body is too large."), status=413)
    body = request.body
    try:
        _webhook, is_new = services.receive_webhook(
            provider, headers=dict(request.headers), body=body, remote_ip=client_ip(request)
        )
    except NotFound as exc:
        raise Http404 from exc
    except (services.UnreadableWebhook, services.WebhookRefused) as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return JsonResponse({"received": True, "duplicate": not is_new})


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest, reference: str) -> HttpResponse:
    """The sandbox PSP's payment page: Pay or Decline sends a signed webhook to our own receiver."""
    payment = get_object_or_404(
        ProviderPayment.objects.select_related("provider", "transaction"),
        reference=reference,
        provider__adapter=SandboxAdapter.code,
        provider__is_enabled=True,
    )
    adapter = cast(SandboxAdapter, get_adapter(payment.provider))  # a sandbox payment (the filter above)
    if request.method == "POST":
        kind = (
            ProviderEvent.PAYMENT_FAILED
            if request.POST.get("outcome") == "decline"
            else ProviderEvent.PAYMENT_SUCCEEDED
        )
        with transaction.atomic():
            adapter.deliver(payment, kind=kind)
    payment.transaction.refresh_from_db()
    return TemplateResponse(request, "payments/sandbox_checkout.html", {"payment": payment})
