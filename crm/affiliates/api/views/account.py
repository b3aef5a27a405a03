"""The affiliate's own program: dashboard and downline, profile and referral key, API keys, grey label, marketing."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import selectors
from crm.affiliates import services as affiliate_services
from crm.affiliates.api.permissions import actor_of
from crm.affiliates.api.serializers import portal as s
from crm.affiliates.api.views.common import (
    ERRORS,
    NOT_FOUND,
    PERIOD_PARAMETERS,
    READ_ERRORS,
    AffiliateAPIMixin,
    field_names,
    period_of,
)
from crm.affiliates.models import Affiliate, AffiliateApiKey, Banner, LandingPage, TargetGroup
from crm.core.api.parsers import MultiPartParser
from crm.core.api.schema import SingleObjectSchema


@extend_schema(tags=["affiliate: statistics"])
class DashboardViewSet(AffiliateAPIMixin, viewsets.GenericViewSet):
    schema = SingleObjectSchema()  # `list` answers one object
    serializer_class = s.DashboardSerializer
    queryset = Affiliate.objects.none()

    @extend_schema(
        summary="My dashboard",
        description=(
            "Your figures for a period (`start`..`end`, dates, end included; this month by default): sign-ups and "
            "first deposits of your referrals (own and downline, and own only), their deposits, withdrawals and "
            "traded lots per currency, your commissions of the period by status, and your balances."
        ),
        parameters=PERIOD_PARAMETERS,
        responses={200: s.DashboardSerializer, **ERRORS},
    )
    def list(self, request: Request) -> Response:
        return Response(s.DashboardSerializer(selectors.dashboard(self.affiliate, period=period_of(request))).data)


@extend_schema_view(
    list=extend_schema(
        summary="My downline statistics",
        description=(
            "Every sub-IB below you at any depth, nearest first, with its referrals, "
            "its sign-ups and first deposits in the period and what you earned on its clients in the period."
        ),
        parameters=PERIOD_PARAMETERS,
        responses={200: s.SubAffiliateSerializer(many=True), **ERRORS},
    )
)
@extend_schema(tags=["affiliate: statistics"])
class DownlineViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SubAffiliateSerializer
    filter_backends: list = []
    queryset = Affiliate.objects.none()

    def get_queryset(self):
        period = period_of(self.request)
        return selectors.sub_affiliate_list(self.affiliate, start=period.start, end=period.end)


@extend_schema(tags=["affiliate: profile"])
class ProfileViewSet(AffiliateAPIMixin, viewsets.GenericViewSet):
    schema = SingleObjectSchema()  # `list` answers one object
    serializer_class = s.AffiliateProfileSerializer
    queryset = Affiliate.objects.none()

    @extend_schema(summary="My affiliate profile", responses={200: s.AffiliateProfileSerializer, **READ_ERRORS})
    def list(self, request: Request) -> Response:
        affiliate = Affiliate.objects.select_related("customer", "commission_model").get(pk=self.affiliate.pk)
        return Response(s.AffiliateProfileSerializer(affiliate).data)

    @extend_schema(
        summary="Update my referral key",
        description="Your new referral key: 5 to 20 letters, digits, '-' or '_', not used by anybody else.",
        request=s.ReferralKeyInputSerializer,
        responses={200: s.AffiliateSuccessSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="referral-key")
    def referral_key(self, request: Request) -> Response:
        payload = s.ReferralKeyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with field_names({"refKey": "ref_key"}):
            affiliate_services.set_referral_key(
                self.affiliate, key=payload.validated_data["ref_key"], actor=actor_of(request)
            )
        return Response({"success": True})


@extend_schema_view(
    list=extend_schema(
        summary="My affiliate keys",
        description="Your partner API keys, by prefix only (the key itself was shown once).",
        responses={200: s.ApiKeySerializer(many=True), **READ_ERRORS},
    ),
    destroy=extend_schema(summary="Revoke an affiliate key", responses={204: None, **READ_ERRORS, **NOT_FOUND}),
)
@extend_schema(tags=["affiliate: profile"])
class ApiKeyViewSet(AffiliateAPIMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ApiKeySerializer
    filter_backends: list = []
    queryset = AffiliateApiKey.objects.none()

    def get_queryset(self):
        return AffiliateApiKey.objects.filter(affiliate=self.affiliate).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Generate an affiliate key",
        description=(
            "A key for your systems, sent as `X-Affiliate-Key: <key>`. "
            "It is shown in this answer only; we keep its hash."
        ),
        request=s.ApiKeyInputSerializer,
        responses={201: s.NewApiKeySerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        payload = s.ApiKeyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        api_key, raw = affiliate_services.create_api_key(
            self.affiliate, actor=actor_of(request), name=payload.validated_data["name"]
        )
        api_key.key = raw  # type: ignore[attr-defined]  # shown once by the serializer
        return Response(s.NewApiKeySerializer(api_key).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: AffiliateApiKey) -> None:
        affiliate_services.revoke_api_key(instance, actor=actor_of(self.request))


def _logos(affiliate: Affiliate, request: Request) -> dict:
    def url(field):
        return request.build_absolute_uri(field.url) if field else None

    return {"rectangular_logo": url(affiliate.rectangular_logo), "square_logo": url(affiliate.square_logo)}


@extend_schema(tags=["affiliate: grey label"])
class GreyLabelViewSet(AffiliateAPIMixin, viewsets.GenericViewSet):
    """`grey-label/logos/` (get, upload, delete) and `grey-label/enabled/`."""

    serializer_class = s.LogosSerializer

    @extend_schema(
        methods=["get"], summary="Get my grey-label logos", responses={200: s.LogosSerializer, **READ_ERRORS}
    )
    @extend_schema(
        methods=["post"],
        summary="Upload my grey-label logos",
        description=(
            "Both logos at once (PNG, JPEG, SVG, WebP or GIF, 2 MB each), as multipart form data. Refused (400, "
            "`grey_labeling_disabled`) unless your plan has grey labelling."
        ),
        request={"multipart/form-data": s.LogosInputSerializer},
        responses={200: s.LogosSerializer, **ERRORS},
    )
    @extend_schema(
        methods=["delete"],
        summary="Delete my grey-label logos",
        request=None,
        responses={200: s.AffiliateSuccessSerializer, **READ_ERRORS},
    )
    @action(detail=False, methods=["get", "post", "delete"], parser_classes=[MultiPartParser])
    def logos(self, request: Request) -> Response:
        if request.method == "GET":
            return Response(_logos(Affiliate.objects.get(pk=self.affiliate.pk), request))
        if request.method == "DELETE":
            affiliate_services.delete_grey_label_logos(self.affiliate, actor=actor_of(request))
            return Response({"success": True})
        payload = s.LogosInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with field_names({"rectangularLogo": "rectangular_logo", "squareLogo": "square_logo"}):
            affiliate = affiliate_services.set_grey_label_logos(
                self.affiliate,
                rectangular=payload.validated_data["rectangular_logo"],
                square=payload.validated_data["square_logo"],
                actor=actor_of(request),
            )
        return Response(_logos(affiliate, request))

    @extend_schema(
        summary="Is grey labelling enabled for me",
        description="Whether your plan (or the default plan) has grey labelling on.",
        responses={200: s.EnabledSerializer, **READ_ERRORS},
    )
    @action(detail=False, methods=["get"])
    def enabled(self, request: Request) -> Response:
        return Response({"enabled": selectors.grey_labeling_enabled(self.affiliate)})


@extend_schema_view(
    list=extend_schema(
        summary="My target groups",
        description="The target groups you belong to.",
        responses={200: s.TargetGroupSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: marketing"])
class TargetGroupViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TargetGroupSerializer
    filter_backends: list = []
    queryset = TargetGroup.objects.none()

    def get_queryset(self):
        return selectors.target_groups_of(self.affiliate)


@extend_schema_view(
    list=extend_schema(
        summary="Banners for me",
        description="Active banners offered to every affiliate or to one of your target groups.",
        responses={200: s.BannerSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: marketing"])
class BannerViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.BannerSerializer
    filter_backends: list = []
    queryset = Banner.objects.none()

    def get_queryset(self):
        return selectors.banners_for(self.affiliate)


@extend_schema_view(
    list=extend_schema(
        summary="Landing pages for me",
        description="Active landing pages offered to all or to one of your groups.",
        responses={200: s.LandingPageSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: marketing"])
class LandingPageViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.LandingPageSerializer
    filter_backends: list = []
    queryset = LandingPage.objects.none()

    def get_queryset(self):
        return selectors.landing_pages_for(self.affiliate)
