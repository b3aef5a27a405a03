"""Provider callbacks of the clients domain: `/webhooks/sumsub/`."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.core.api.errors import error_body
from crm.core.exceptions import DomainError
from crm.core.middleware import content_length
from crm.customers import services

app_name = "customers"
logger = logging.getLogger(__name__)
MAX_WEBHOOK_BODY = 1024 * 1024


@csrf_exempt
@require_POST
def sumsub_webhook(request: HttpRequest) -> JsonResponse:
    """SumSub's callback: refused unless X-Payload-Digest is the HMAC of the body with the webhook secret."""
    if content_length(request) > MAX_WEBHOOK_BODY:
        return JsonResponse(error_body("too_large", "The body is too large."), status=413)
    try:
        _, created = services.receive_sumsub_webhook(
            request.body,
            digest=request.headers.get("X-Payload-Digest", ""),
            algorithm=request.headers.get("X-Payload-Digest-Alg", "HMAC_SHA256_HEX"),
        )
    except DomainError as exc:
        logger.warning("SumSub webhook refused: %s", exc.code)
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return JsonResponse({"success": True, "duplicate": not created})


urlpatterns = [path("webhooks/sumsub/", sumsub_webhook, name="sumsub-webhook")]
