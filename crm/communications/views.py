"""The providers' webhooks: email delivery at /webhooks/email/<provider>/, VoIP calls at /webhooks/voip/<provider>/
(000 Calls #37-38)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.communications.services import calls, email_webhooks
from crm.core.api.errors import error_body
from crm.core.exceptions import NotFound
from crm.core.middleware import client_ip, content_length

MAX_EMAIL_BODY = 1024 * 1024
MAX_VOIP_BODY = 64 * 1024


@csrf_exempt
@require_POST
def email_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Store the call raw, then answer 401 when anymail's check of its signature or credentials fails (the call
    stays recorded), 200 for an authentic one, new or repeated; its events are recorded by a task."""
    if provider not in email_webhooks.VIEWS:
        raise Http404
    if content_length(request) > MAX_EMAIL_BODY:
        return JsonResponse(error_body("too_large", "The request body is too large."), status=413)
    webhook, authentic = email_webhooks.receive_email_webhook(provider, request)
    if not authentic:
        return JsonResponse(error_body("invalid_signature", "The webhook's signature is not valid."), status=401)
    return JsonResponse({"received": True, "id": webhook.pk})


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.GET.get("token", "")


@csrf_exempt
@require_POST
def voip_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Store the delivery raw, then answer: 401 for a missing or wrong token, 400 for a body that cannot be
    read, 200 `{"success": true}` for a new or repeated event (processed by a task)."""
    if content_length(request) > MAX_VOIP_BODY:
        return JsonResponse(error_body("too_large", "The request body is too large."), status=413)
    try:
        _event, is_new = calls.receive_call_event(
            provider, token=_token(request), body=request.body, remote_ip=client_ip(request)
        )
    except NotFound as exc:
        raise Http404 from exc
    except (calls.CallEventRefused, calls.UnreadableCallEvent) as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return JsonResponse({"success": True, "duplicate": not is_new})
