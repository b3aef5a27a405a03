"""Referrals of the calling affiliate (000 "Customers - Affiliate APIs"): list, detail, notes, count, CSV, create."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import selectors, services_api
from crm.affiliates.api.filters import ReferralFilterSet
from crm.affiliates.api.permissions import actor_of
from crm.affiliates.api.serializers import partner as ps
from crm.affiliates.api.serializers import portal as s
from crm.affiliates.api.views.common import ERRORS, NOT_FOUND, READ_ERRORS, AffiliateAPIMixin
from crm.core.exports.cells import SafeCsvWriter
from crm.customers.models import Customer

CSV_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "status",
    "source",
    "campaign",
    "external_id",
    "level",
    "registered_at",
    "updated_at",
    "first_deposit_at",
    "deposit_count",
    "commission_earned",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


@extend_schema_view(
    list=extend_schema(
        summary="List my referrals",
        description=(
            "The clients introduced by you or by any sub-IB of your tree, newest first. "
            "Filters: `search` (name, email prefix or client id), `external_id`, `updated_since` and `updated_to` "
            "(dates, both included, e.g. 2023-09-13), repeated `sources`, and `order_by` as `<column>|ASC` or "
            "`|DESC` (e.g. `name|ASC`). Email and phone are masked unless your program shows contact details."
        ),
        responses={200: s.ReferralSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Show a referral",
        description="One referral of your tree with all its values; anybody else's client answers 404.",
        responses={200: s.ReferralSerializer, **READ_ERRORS, **NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Update a referral",
        description=(
            "Changes the referral's `source`, and add or update your note (`notes` "
            "replaces the text of your latest note, or writes the first)."
        ),
        request=s.ReferralUpdateInputSerializer,
        responses={200: s.ReferralSerializer, **ERRORS, **NOT_FOUND},
    ),
)
@extend_schema(tags=["affiliate: referrals"])
class ReferralViewSet(
    AffiliateAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The calling affiliate's referrals, its whole tree included; read by portal and partner systems alike."""

    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilterSet
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Customer.objects.none()

    def get_queryset(self):
        return selectors.referral_list(self.affiliate).order_by("-registered_at", "-pk")

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        payload = s.ReferralUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        customer = services_api.update_referral(
            self.affiliate, self.get_object(), actor=actor_of(request), **payload.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=customer.pk)).data)

    @extend_schema(
        summary="Create a client for me",
        description=(
            "For your own systems (`X-Affiliate-Key`) or the portal: signs the client "
            "up through the portal's sign-up rules with you (or the sub-IB of your tree whose referral key is "
            "`wtreferrer`) as introducer. The password is generated when not given. The answer carries a "
            "deposit URL with an embedded auto-login token, valid for a few minutes and usable once; no "
            "long-lived session token of the client is ever handed to you. 409 when the email is registered."
        ),
        request=ps.PartnerCustomerInputSerializer,
        responses={201: ps.PartnerCustomerCreatedSerializer, 409: ERRORS[400], **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = ps.PartnerCustomerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        customer = services_api.create_referral(
            self.affiliate,
            email=data["email"],
            password=data.get("password"),
            values=ps.profile_values(data),
            attribution=ps.attribution_values(data),
            skip_steps=data.get("skip_onboarding_steps") or [],
            actor=actor_of(request),
        )
        token, expires_at = services_api.issue_autologin_token(customer)
        body = {
            "id": customer.pk,
            "success": True,
            "redirect_url": services_api.autologin_url(token),
            "deposit_url": services_api.autologin_url(token, next_path="/deposit"),
            "autologin_expires_at": expires_at,
        }
        return Response(ps.PartnerCustomerCreatedSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Count my referrals",
        description="How many referrals the list's filters match (what the CSV export holds).",
        responses={200: s.CountSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def count(self, request: Request) -> Response:
        return Response({"count": self.filter_queryset(self.get_queryset()).count()})

    @extend_schema(
        summary="Export my referrals to CSV",
        description=(
            "Every referral the list's filters match, as CSV, streamed. Contact details masked as in the list."
        ),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file"), **ERRORS},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(self._csv_rows(queryset), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="referrals.csv"'
        return response

    def _csv_rows(self, queryset) -> Iterator[str]:
        writer = SafeCsvWriter(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        serializer = s.ReferralSerializer(context=self.get_serializer_context())
        for customer in queryset.iterator(chunk_size=2000):
            row = serializer.to_representation(customer)
            yield writer.writerow([row.get(column) for column in CSV_COLUMNS])

    @extend_schema(
        summary="Sources of my referrals",
        description="The distinct sources of your referrals, sorted.",
        responses={200: s.SourcesSerializer, **READ_ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def sources(self, request: Request) -> Response:
        return Response({"sources": selectors.referral_sources(self.affiliate)})

    @extend_schema(
        methods=["get"],
        summary="My notes on a referral",
        description="Your notes on one referral, newest first (other affiliates' notes are not shown).",
        responses={200: s.ReferralNoteSerializer(many=True), **READ_ERRORS, **NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Add a note to a referral",
        request=s.ReferralNoteInputSerializer,
        responses={201: s.ReferralNoteSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def notes(self, request: Request, pk=None) -> Response:
        customer = self.get_object()
        if request.method == "GET":
            notes = selectors.referral_notes(self.affiliate, customer)
            return Response(s.ReferralNoteSerializer(notes, many=True).data)
        payload = s.ReferralNoteInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        note = services_api.add_referral_note(
            self.affiliate, customer, body=payload.validated_data["body"], actor=actor_of(request)
        )
        return Response(s.ReferralNoteSerializer(note).data, status=status.HTTP_201_CREATED)
