"""Email providers' delivery webhooks at /webhooks/email/<provider>/."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.communications.services import email_webhooks
from crm.core.api.errors import error_body
from crm.core.middleware import content_length

MAX_BODY = 1024 * 1024


@csrf_exempt
@require_POST
def email_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Store the call raw, then answer 401 when anymail's check of its signature or credentials fails (the call
    stays recorded), 200 for an authentic one, new or repeated; its events are recorded by a task."""
    if provider not in email_webhooks.VIEWS:
        raise Http404
    if content_length(request) > MAX_BODY:
        return JsonResponse(error_body("too_large", "The request body is too large."), status=413)
    webhook, authentic = email_webhooks.receive_email_webhook(provider, request)
    if not authentic:
        return JsonResponse(error_body("invalid_signature", "The webhook's signature is not valid."), status=401)
    return JsonResponse({"received": True, "id": webhook.pk})
