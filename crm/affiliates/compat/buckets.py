"""003 "Buckets Leads Status API": lead status and FTD by bucket and affiliate, bodies word for word.

`POST /api/public/buckets/{bucketId}/{affiliateID}/leads[/{sourceId}]` with `Authorization: <API_TOKEN>`.
`affiliateID` is the affiliate's client id (the id partners know it by, as in the sign-up's `affiliateID`);
client ids (`ids`, the `id` of each answer) are the ids the Traders Room sign-up returns. A bucket answers for
the leads its affiliate sent and for the clients its affiliate introduced without a lead (Traders Room and
affiliate API sign-ups, referral links), by the bucket's sources (a client's sign-up source, e.g. `sourceId`).
A lead not yet a client has no id, so `keyBy: "id"` falls back to its email. `createdDate` is the lead's
creation, or the client's registration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import selectors
from crm.affiliates.compat.authentication import RawApiTokenAuthentication
from crm.affiliates.models import Affiliate, Bucket
from crm.core.api.parsers import TOO_LARGE, request_data
from crm.users.models import ApiToken

PERMISSION = "affiliates.view_own_buckets"  # "Buckets: View Own", granted through the token's role
UNAUTHORIZED = {"message": "Access with the provided credentials is incorrect. CODE: X-0005", "statusCode": 401}
NO_BUCKET = "Bucket with corresponding affiliateID doesn't exist"
NOT_OWNED = "Provided bucketId does not belong to the provided affiliateID"
NOT_IN_BUCKET = "Provided sourceId does not belong to bucket"
MAX_LIMIT = 1000  # records per answer; a larger `limit` is served as this many (see the paging headers)
MAX_IDS = 1000  # emails or ids per request


def _bad_request(message: str) -> Response:
    return Response({"message": message, "statusCode": 400}, status=400)


def _body_refused(exc: APIException) -> Response:
    if exc.status_code == 413:
        return Response({"message": TOO_LARGE, "statusCode": 413}, status=413)
    return _bad_request("Request body must be JSON")


class CreatedDateField(serializers.CharField):
    """Epoch milliseconds as a string, e.g. "1676172330450"."""

    def to_internal_value(self, data) -> dt.datetime:  # type: ignore[override]  # the CharField text parsed to a datetime
        text = super().to_internal_value(data)
        if not text.isdigit():
            raise serializers.ValidationError('must be epoch milliseconds, e.g. "1676172330450"')
        try:
            return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise serializers.ValidationError("is out of range") from exc


class LeadFiltersSerializer(serializers.Serializer):
    createdDate = serializers.ListField(
        child=CreatedDateField(), required=False, min_length=1, max_length=2, help_text="[from, to], epoch ms."
    )


class BucketLeadsRequestSerializer(serializers.Serializer):
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False, max_length=MAX_IDS)
    ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=MAX_IDS)
    keyBy = serializers.ChoiceField(choices=["email", "id"], required=False, default="email")
    filters = LeadFiltersSerializer(required=False)
    limit = serializers.IntegerField(
        required=False, default=100, min_value=0, help_text=f"Records to return; above {MAX_LIMIT}, {MAX_LIMIT}."
    )
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


LEAD_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "nullable": True, "description": "Client id; null while the lead is no client."},
        "email": {"type": "string"},
        "affiliateID": {"type": "string"},
        "status": {"type": "string", "description": "Sales status, else the client's account status, else new."},
        "createdDate": {"type": "string", "format": "date-time"},
        "ftd": {"type": "string", "format": "date-time", "nullable": True},
    },
}
ERROR_BODY = inline_serializer(
    "BucketsError", {"message": serializers.CharField(), "statusCode": serializers.IntegerField()}
)


DESCRIPTION = (
    "Buckets Leads Status API. Read-only, POST for bulk lookups. Returns lead data for clients identified by "
    "`emails`, client `ids`, or both (neither: by the filters only), keyed by `email` (default) or `id` (`keyBy`; "
    "a lead with no client id falls back to its email). A bucket holds the leads its affiliate sent and the clients "
    "its affiliate introduced (Traders Room and affiliate API sign-ups, by the id they returned), from the bucket's "
    "sources. `filters.createdDate` is a range of epoch-ms strings; "
    f"`limit` (default 100, at most {MAX_LIMIT}: a larger one is served as {MAX_LIMIT}) and `offset` (default 0) "
    "apply after filtering; the body holds only leads, so the paging applied comes back in headers: `X-Limit` "
    "(the limit served), `X-Offset` and `X-Total-Count` (leads matching the filters): page on with `offset` "
    "until it reaches `X-Total-Count`. `Authorization: <API_TOKEN>` with no "
    "prefix, whose role holds 'Buckets: View Own'. The source variant also checks that the bucket has the source. "
    f'Errors, word for word: 400 `{{"message": "{NO_BUCKET}", "statusCode": 400}}`, the same with "{NOT_OWNED}", '
    f'and with a sourceId "{NOT_IN_BUCKET}"; 401 `{{"message": "{UNAUTHORIZED["message"]}", "statusCode": 401}}` '
    "for a missing or invalid token or a missing permission. A body that is not a JSON object (or nested too "
    'deep) answers 400 `{"message": "Request body must be JSON", "statusCode": 400}`, one larger than the '
    f'upload limit 413 `{{"message": "{TOO_LARGE}", "statusCode": 413}}` (neither is in the published API).'
)
EXAMPLES = [
    OpenApiExample(
        "Request",
        request_only=True,
        value={
            "emails": ["user1@example.com"],
            "ids": ["69ce524d741e8f2238329fff"],
            "keyBy": "email",
            "filters": {"createdDate": ["1676172330450", "1776172330450"]},
            "limit": 100,
            "offset": 0,
        },
    ),
    OpenApiExample(
        "Leads keyed by email",
        response_only=True,
        status_codes=["200"],
        value={
            "user1@example.com": {
                "id": "69ce524d741e8f2238329fff",
                "email": "user1@example.com",
                "affiliateID": "1234567890",
                "status": "active",
                "createdDate": "2021-01-01T00:00:00.000Z",
                "ftd": "2021-01-01T00:00:00.000Z",
            }
        },
    ),
    OpenApiExample(
        "Unknown bucket", response_only=True, status_codes=["400"], value={"message": NO_BUCKET, "statusCode": 400}
    ),
    OpenApiExample(
        "Not the affiliate's",
        response_only=True,
        status_codes=["400"],
        value={"message": NOT_OWNED, "statusCode": 400},
    ),
    OpenApiExample("Refused", response_only=True, status_codes=["401"], value=UNAUTHORIZED),
]


def _first_error(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        key, value = next(iter(errors.items()))
        return _first_error(value, f"{prefix}.{key}" if prefix else str(key))
    if isinstance(errors, list) and errors:
        return _first_error(errors[0], prefix)
    return f"{prefix}: {errors}" if prefix else str(errors)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(row: dict[str, Any], affiliate_id: str) -> dict[str, Any]:
    """One lead or client row of `selectors.bucket_leads` as the seed writes it; status: the sales status, else
    the client's account status, else "new"."""
    return {
        "id": str(row["client_id"]) if row["client_id"] else None,
        "email": row["email_address"],
        "affiliateID": affiliate_id,
        "status": row["sales_status_name"] or row["account_status"] or "new",
        "createdDate": _iso(row["created"]),
        "ftd": _iso(row["ftd"]),
    }


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


def _find_bucket(bucket_id: str, affiliate_id: str) -> tuple[Bucket | None, str | None]:
    bucket_pk, customer_pk = _int(bucket_id), _int(affiliate_id)
    bucket = Bucket.objects.select_related("affiliate").filter(pk=bucket_pk).first() if bucket_pk else None
    affiliate = Affiliate.objects.filter(customer_id=customer_pk).first() if customer_pk else None
    if bucket is None or affiliate is None:
        return None, NO_BUCKET
    if bucket.affiliate_id != affiliate.pk:
        return None, NOT_OWNED
    return bucket, None


def _answer(request: Request, bucket_id: str, affiliate_id: str, source_id: str | None) -> Response:
    """The shared body of both endpoints; the source check applies when a sourceId is in the path."""
    if not isinstance(request.auth, ApiToken) or not request.user.has_perm(PERMISSION):
        return Response(UNAUTHORIZED, status=401)
    try:
        body = request_data(request)
    except APIException as exc:  # unreadable, nested too deep, too large, not JSON: the seed's body, never ours
        return _body_refused(exc)
    if not isinstance(body, dict):
        return _bad_request("Request body must be a JSON object")
    payload = BucketLeadsRequestSerializer(data=body)
    if not payload.is_valid():
        return _bad_request(_first_error(payload.errors))
    bucket, error = _find_bucket(bucket_id, affiliate_id)
    if error or bucket is None:
        return _bad_request(error or NO_BUCKET)
    source = None
    if source_id is not None:
        source_pk = _int(source_id)
        source = bucket.sources.filter(pk=source_pk).first() if source_pk else None
        if source is None:
            return _bad_request(NOT_IN_BUCKET)
    data = payload.validated_data
    created = data.get("filters", {}).get("createdDate") or []
    client_ids = None
    if data.get("ids"):
        # Ids that are not ours match nothing (pk 0 never exists), rather than widening the answer.
        client_ids = [pk for pk in (_int(value) for value in data["ids"]) if pk is not None] or [0]
    leads = selectors.bucket_leads(
        bucket,
        source=source,
        emails=data.get("emails"),
        client_ids=client_ids,
        created_from=created[0] if created else None,
        created_to=created[1] if len(created) > 1 else None,
    )
    start, limit = data["offset"], min(data["limit"], MAX_LIMIT)
    answer: dict[str, Any] = {}
    for row in leads[start : start + limit]:
        record = _record(row, affiliate_id=str(bucket.affiliate.customer_id))
        key = record["id"] if data["keyBy"] == "id" and record["id"] else record["email"]
        answer[key] = record
    headers = {"X-Limit": str(limit), "X-Offset": str(start), "X-Total-Count": str(leads.count())}
    return Response(answer, headers=headers)


PAGING_HEADERS = [
    OpenApiParameter(name, int, OpenApiParameter.HEADER, response=[200], description=description, required=True)
    for name, description in [
        ("X-Limit", f"The limit served: the request's `limit`, at most {MAX_LIMIT}."),
        ("X-Offset", "The request's `offset`."),
        ("X-Total-Count", "How many leads match the filters, whatever the paging."),
    ]
]


def _schema(*, summary: str, operation_id: str, with_source: bool):
    parameters = [
        *PAGING_HEADERS,
        OpenApiParameter("bucket_id", str, OpenApiParameter.PATH, description="bucketId: bucket identifier"),
        OpenApiParameter("affiliate_id", str, OpenApiParameter.PATH, description="affiliateID: the affiliate's id"),
    ]
    if with_source:
        parameters.append(
            OpenApiParameter("source_id", str, OpenApiParameter.PATH, description="sourceId: source identifier")
        )
    return extend_schema(
        tags=["public: buckets"],
        summary=summary,
        operation_id=operation_id,
        description=DESCRIPTION,
        request=BucketLeadsRequestSerializer,
        responses={
            200: {"type": "object", "additionalProperties": LEAD_SCHEMA},
            400: ERROR_BODY,
            401: ERROR_BODY,
            413: ERROR_BODY,
        },
        examples=EXAMPLES,
        parameters=parameters,
    )


def _endpoint(view):
    view = permission_classes([])(view)
    view = throttle_classes([])(view)
    view = authentication_classes([RawApiTokenAuthentication])(view)
    return api_view(["POST"])(view)


@_schema(summary="Leads by bucket & affiliate", operation_id="public_bucket_leads", with_source=False)
@_endpoint
def bucket_leads(request: Request, bucket_id: str, affiliate_id: str) -> Response:
    return _answer(request, bucket_id, affiliate_id, None)


@_schema(summary="Leads by bucket, affiliate & source", operation_id="public_bucket_source_leads", with_source=True)
@_endpoint
def bucket_source_leads(request: Request, bucket_id: str, affiliate_id: str, source_id: str) -> Response:
    return _answer(request, bucket_id, affiliate_id, source_id)
