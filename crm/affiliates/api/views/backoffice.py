"""Back-office endpoints for affiliate managers: affiliates, commission models, ledger review, payout queue."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import selectors, services, services_plans
from crm.affiliates.api.filters import CommissionRecordFilterSet, PayoutRequestFilterSet
from crm.affiliates.api.serializers import backoffice as s
from crm.affiliates.api.serializers.portal import SubAffiliateSerializer
from crm.affiliates.api.views.common import ERRORS, NOT_FOUND, PERIOD_PARAMETERS, field_names, period_of
from crm.affiliates.models import Affiliate, CommissionLedger, CommissionModel, PayoutRequest
from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import require_perms

CAN_APPROVE = require_perms("affiliates.view_affiliate", "affiliates.approve_affiliate")
CAN_REVIEW = require_perms("affiliates.view_commissionledger", "affiliates.review_commission")
CAN_PAY = require_perms("affiliates.view_payoutrequest", "affiliates.approve_payoutrequest")
CAN_SEE_DOWNLINE = require_perms("affiliates.view_affiliate", "affiliates.view_downline_stats")


@extend_schema_view(
    list=extend_schema(summary="List affiliates", description="Affiliates you manage (all with view_all_affiliates)."),
    retrieve=extend_schema(summary="Show an affiliate", responses={200: s.AffiliateSerializer, **ERRORS, **NOT_FOUND}),
    partial_update=extend_schema(
        summary="Update an affiliate",
        description="Plan, currency, manager, contact visibility, automatic payout; `parent` moves the subtree.",
        request=s.AffiliateUpdateSerializer,
        responses={200: s.AffiliateSerializer, **ERRORS, **NOT_FOUND},
    ),
)
@extend_schema(tags=["affiliates"])
class AffiliateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.AffiliateSerializer
    filterset_fields = ["status", "parent", "manager", "commission_model"]
    ordering_fields = ["created_at", "depth"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Affiliate.objects.none()

    def get_queryset(self):
        return Affiliate.objects.visible_to(self.request.user).for_list()

    @transaction.atomic
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        affiliate = self.get_object()
        payload = s.AffiliateUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        if "parent" in values:
            services.move_affiliate(affiliate, parent=values.pop("parent"), actor=request.user)
        if values:
            services.update_affiliate(affiliate, actor=request.user, **values)
        return Response(self.get_serializer(self.get_queryset().get(pk=affiliate.pk)).data)

    @extend_schema(summary="Approve an affiliate", request=None, responses={200: s.AffiliateSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[CAN_APPROVE])
    def approve(self, request: Request, pk=None) -> Response:
        affiliate = services.approve_affiliate(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=affiliate.pk)).data)

    @extend_schema(
        summary="Suspend an affiliate",
        request=s.ReasonSerializer,
        responses={200: s.AffiliateSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_APPROVE])
    def suspend(self, request: Request, pk=None) -> Response:
        payload = s.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        affiliate = services.suspend_affiliate(
            self.get_object(), reason=payload.validated_data["reason"], actor=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=affiliate.pk)).data)

    @extend_schema(
        summary="Downline statistics of an affiliate",
        description="The affiliate's sub-IBs at any depth, for a period.",
        parameters=PERIOD_PARAMETERS,
        responses={200: SubAffiliateSerializer(many=True), **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["get"], permission_classes=[CAN_SEE_DOWNLINE], filter_backends=[])
    def downline(self, request: Request, pk=None) -> Response:
        affiliate = self.get_object()
        period = period_of(request)
        rows = selectors.sub_affiliate_list(affiliate, start=period.start, end=period.end)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SubAffiliateSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List commission models"),
    retrieve=extend_schema(summary="Show a commission model"),
    create=extend_schema(summary="Create a commission model", description="With its levels and their rules."),
    update=extend_schema(
        summary="Update a commission model",
        description="The whole model: levels matched by number, rules by id; a left-out rule is deleted "
        "(disabled when commissions point at it).",
    ),
    destroy=extend_schema(summary="Delete a commission model", description="409 while in use."),
)
@extend_schema(tags=["affiliates"])
class CommissionModelViewSet(viewsets.ModelViewSet):
    serializer_class = s.CommissionModelSerializer
    filterset_fields = ["is_default", "is_enabled", "grey_labeling_enabled"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]
    queryset = CommissionModel.objects.none()

    def get_queryset(self):
        return CommissionModel.objects.prefetch_related("levels__rules").order_by("name")

    def _save(self, instance: CommissionModel | None, request: Request) -> CommissionModel:
        payload = self.get_serializer(instance, data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        levels = [{**level, "rules": [dict(rule) for rule in level.get("rules", [])]} for level in data.pop("levels")]
        return services_plans.save_commission_model(instance, levels=levels, actor=request.user, **data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        model = self._save(None, request)
        return Response(self.get_serializer(self.get_queryset().get(pk=model.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        model = self._save(self.get_object(), request)
        return Response(self.get_serializer(self.get_queryset().get(pk=model.pk)).data)

    def perform_destroy(self, instance: CommissionModel) -> None:
        services_plans.delete_commission_model(instance, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List commission ledger records",
        description="The review queue: records of the affiliates you may see, with the rule and event behind each.",
    ),
    retrieve=extend_schema(summary="Show a commission ledger record"),
)
@extend_schema(tags=["affiliates"])
class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.LedgerRecordSerializer
    filterset_class = CommissionRecordFilterSet
    ordering_fields = ["action_timestamp", "hold_until", "commission_amount"]
    queryset = CommissionLedger.objects.none()

    def get_queryset(self):
        return CommissionLedger.objects.visible_to(self.request.user).for_list().with_flags()

    def _record(self, pk) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        summary="Approve a commission",
        description="Approves a pending record whose hold is over and whose referral is not flagged. Otherwise "
        "409 with the reason: `referral_flagged` (the open flags in `fields.flags`: clear them first), "
        "`commission_on_hold` (`fields.hold_until`) or `invalid_transition` (not pending). Approving an approved "
        "record again changes nothing.",
        request=None,
        responses={200: s.LedgerRecordSerializer, 409: ErrorSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_REVIEW])
    def approve(self, request: Request, pk=None) -> Response:
        record = self.get_object()
        services.approve_commission(record, actor=request.user)
        return self._record(record.pk)

    @extend_schema(
        summary="Reject a commission",
        request=s.ReasonSerializer,
        responses={200: s.LedgerRecordSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_REVIEW])
    def reject(self, request: Request, pk=None) -> Response:
        record = self.get_object()
        payload = s.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.reject_commissions([record.pk], reason=payload.validated_data["reason"], actor=request.user)
        return self._record(record.pk)

    @extend_schema(
        summary="Correct a commission",
        description="Sets a corrected amount with a comment; paid records never change.",
        request=s.LedgerCorrectSerializer,
        responses={200: s.LedgerRecordSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_REVIEW])
    def correct(self, request: Request, pk=None) -> Response:
        record = self.get_object()
        payload = s.LedgerCorrectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        renames = {"correctedCommissionAmount": "corrected_commission_amount", "adminComments": "admin_comments"}
        with field_names(renames):
            services.correct_commission(
                record,
                amount=payload.validated_data["corrected_commission_amount"],
                comment=payload.validated_data["admin_comments"],
                actor=request.user,
            )
        return self._record(record.pk)


@extend_schema_view(
    list=extend_schema(summary="List payout requests", description="Every affiliate's payout requests, newest first."),
    retrieve=extend_schema(summary="Show a payout request"),
)
@extend_schema(tags=["affiliates"])
class BackofficePayoutRequestViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.BackofficePayoutRequestSerializer
    filterset_class = PayoutRequestFilterSet
    ordering_fields = ["requested_at", "amount"]
    queryset = PayoutRequest.objects.none()

    def get_queryset(self):
        return PayoutRequest.objects.visible_to(self.request.user).for_list()

    @extend_schema(
        summary="Approve a payout request",
        description="Pays the request with a ledger transfer into the affiliate's payout wallet; twice pays once.",
        request=None,
        responses={200: s.BackofficePayoutRequestSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_PAY])
    def approve(self, request: Request, pk=None) -> Response:
        payout = services.approve_payout_request(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=payout.pk)).data)

    @extend_schema(
        summary="Reject a payout request",
        request=s.OptionalReasonSerializer,
        responses={200: s.BackofficePayoutRequestSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CAN_PAY])
    def reject(self, request: Request, pk=None) -> Response:
        payload = s.OptionalReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        payout = services.reject_payout_request(
            self.get_object(), reason=payload.validated_data.get("reason"), actor=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=payout.pk)).data)
