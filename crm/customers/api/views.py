"""Back-office clients API: `/api/v1/backoffice/customers/`, scoped by `Customer.objects.visible_to`."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.exports import ExportableSchema, ExportableViewSetMixin
from crm.core.api.parsers import MultiPartParser
from crm.core.api.permissions import ActionPermissions
from crm.customers import selectors, services
from crm.customers.api import serializers as s
from crm.customers.api.filters import CustomerFilterSet
from crm.customers.models import Customer
from crm.users.models import User
from crm.users.requests import staff_user

VIEW = "customers.view_customer"
# Action -> permissions it needs (besides being active staff); the CRUD routes use the model permissions.
ACTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "ids": (VIEW,),
    "history": (VIEW,),
    "bulk_update": (VIEW, "customers.change_customer"),
    "assign": (VIEW, "customers.assign_customer"),
    "change_status": (VIEW, "customers.change_customer_status"),
    "kyc_approve": (VIEW, "customers.manage_kyc"),
    "kyc_revoke": (VIEW, "customers.manage_kyc"),
    "kyc_reset": (VIEW, "customers.manage_kyc"),
    "documents": (VIEW, "customers.view_document"),
    "upload_document": (VIEW, "customers.add_document"),
    "review_document": (VIEW, "customers.view_document", "customers.review_document"),
    "comments": (VIEW, "customers.view_comment"),
    "add_comment": (VIEW, "customers.add_comment"),
    "calls": (VIEW, "customers.view_call"),
    "log_call": (VIEW, "customers.add_call"),
    "email": (VIEW, "customers.email_customer"),
    "bookmarks": (VIEW, "customers.view_bookmark"),
    "bookmark": (VIEW, "customers.add_bookmark"),
    "remove_bookmark": (VIEW, "customers.delete_bookmark"),
}

ERRORS = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


class CustomerSchema(ExportableSchema):
    """The ids route takes the list's filters too."""

    def get_filter_backends(self):
        if getattr(self.view, "action", None) == "ids":
            return self.view.filter_backends
        return super().get_filter_backends()


@extend_schema_view(
    list=extend_schema(summary="List clients", description="Clients the caller may see, filtered and paginated."),
    retrieve=extend_schema(summary="Get a client", responses={200: s.CustomerDetailSerializer, **ERRORS}),
    create=extend_schema(
        summary="Create a client",
        description="Answers 409 when a client with this email exists.",
        request=s.CustomerCreateSerializer,
        responses={201: s.CustomerDetailSerializer, 409: ErrorSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a client",
        description=(
            "Fields the caller's role may not change (agents, risk status, groups, roles, client type, "
            "introducer: see `editable_fields` of the client) answer 403 `field_not_permitted` naming them, and "
            "nothing changes. Answers 409 when the new email is taken."
        ),
        request=s.CustomerWriteSerializer,
        responses={200: s.CustomerDetailSerializer, 409: ErrorSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(ExportableViewSetMixin, viewsets.GenericViewSet):
    """Clients for staff tools: the same scoping, rules and masking as the admin."""

    serializer_class = s.CustomerSerializer
    filterset_class = CustomerFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [ActionPermissions]
    action_permissions = ACTION_PERMISSIONS
    queryset = Customer.objects.none()
    export_permission = "customers.export_customer"
    schema = CustomerSchema()

    def get_queryset(self) -> QuerySet[Customer]:
        user = cast(User, self.request.user)  # the selectors' visible_to answers nothing to anyone but staff
        if self.action in ("list", "ids", "export"):
            return selectors.customer_list(user)
        if self.action == "retrieve":
            return selectors.customer_detail(user)
        if self.action == "bookmarks":
            return selectors.bookmarked_customers(user)
        return Customer.objects.visible_to(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return s.CustomerDetailSerializer
        return super().get_serializer_class()

    def _detail(self, customer: Customer, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Unscoped: the caller just acted on this client and sees the result even if it moved to another agent.
        row = selectors.with_detail(Customer.objects.for_list(), user=staff_user(self.request)).get(pk=customer.pk)
        return Response(
            s.CustomerDetailSerializer(row, context=self.get_serializer_context()).data, status=status_code
        )

    def _paginated(self, queryset: QuerySet, serializer_class: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def _input(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # CRUD ------------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        return self._paginated(self.filter_queryset(self.get_queryset()), s.CustomerSerializer)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        values = self._input(s.CustomerCreateSerializer)
        customer = services.create_customer(actor=staff_user(request), **values)
        return self._detail(customer, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        values = self._input(s.CustomerWriteSerializer)
        services.update_customer(customer, actor=staff_user(request), **values)
        return self._detail(customer)

    @extend_schema(
        summary="Update many clients",
        description=(
            f"A list of at most {s.MAX_BULK_ROWS} rows, each an `id` and the fields to change. All rows are applied "
            "or none: errors name the row index (`2.email`)."
        ),
        request=s.CustomerBulkUpdateRowSerializer(many=True),
        responses={
            200: OpenApiResponse(
                inline_serializer("CustomerBulkUpdateResult", {"updated": serializers.IntegerField()}),
                description="How many clients changed.",
            ),
            409: ErrorSerializer,
            **ERRORS,
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk-update")
    def bulk_update(self, request: Request) -> Response:
        rows = cast(
            list[dict[str, Any]],  # many=True: a list of rows
            self._input(s.CustomerBulkUpdateRowSerializer, many=True, allow_empty=False, max_length=s.MAX_BULK_ROWS),
        )
        ids = [row.pop("id") for row in rows]
        found = self.get_queryset().in_bulk(ids)
        missing = {str(index): {"id": ["Not found."]} for index, pk in enumerate(ids) if pk not in found}
        if missing:
            raise serializers.ValidationError(missing)
        updated = services.bulk_update_customers(
            [(found[pk], values) for pk, values in zip(ids, rows, strict=True)], actor=staff_user(request)
        )
        return Response({"updated": updated})

    # Lists beside the main one ------------------------------------------------------------

    @extend_schema(
        summary="Ids of the clients matching the filters",
        description="Every id the list would show with the same filters, in its order (for select-all).",
        responses={200: s.CustomerIdsSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def ids(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        return Response({"ids": list(queryset.values_list("pk", flat=True))})

    @extend_schema(
        summary="The caller's bookmarked clients",
        description="Most recently bookmarked first; takes the list's filters.",
        responses={200: s.CustomerSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def bookmarks(self, request: Request) -> Response:
        return self._paginated(self.filter_queryset(self.get_queryset()), s.CustomerSerializer)

    @extend_schema(
        summary="History of a client",
        description="Every logged action on the client, newest first, with old and new values of changed fields.",
        responses={200: s.ActivitySerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.customer_history(self.get_object()), s.ActivitySerializer)

    # Agents and status -----------------------------------------------------------------

    @extend_schema(
        summary="Assign agents",
        description="Sets the conversion and/or retention agent; `null` removes one.",
        request=s.CustomerAssignSerializer,
        responses={200: s.CustomerDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.assign_agents([customer], actor=staff_user(request), **self._input(s.CustomerAssignSerializer))
        return self._detail(customer)

    @extend_schema(
        summary="Change the account status",
        request=s.CustomerStatusSerializer,
        responses={200: s.CustomerDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.change_status([customer], actor=staff_user(request), **self._input(s.CustomerStatusSerializer))
        return self._detail(customer)

    # KYC -------------------------------------------------------------------------------

    @extend_schema(
        summary="Approve KYC",
        description="Approves KYC and moves the client to the given level, or to the level their approved documents "
        "earn (a level's document groups each need any one of their types approved). Answers 409 "
        "`kyc_documents_missing` naming the level (`required_level`) and the document groups still missing "
        '(`missing_documents`, the types of one group joined by "|") when that level\'s documents are not approved.',
        request=s.KycApproveSerializer,
        responses={200: s.CustomerDetailSerializer, 409: ErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="kyc/approve", url_name="kyc-approve")
    def kyc_approve(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.approve_kyc(customer, actor=staff_user(request), **self._input(s.KycApproveSerializer))
        return self._detail(customer)

    @extend_schema(
        summary="Revoke KYC",
        description="Withdraws an approval; the client drops to the default verification level.",
        request=s.KycRevokeSerializer,
        responses={200: s.CustomerDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="kyc/revoke", url_name="kyc-revoke")
    def kyc_revoke(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.revoke_kyc(customer, actor=staff_user(request), **self._input(s.KycRevokeSerializer))
        return self._detail(customer)

    @extend_schema(
        summary="Reset KYC",
        description="Starts KYC over at the default level.",
        request=None,
        responses={200: s.CustomerDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="kyc/reset", url_name="kyc-reset")
    def kyc_reset(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.reset_kyc(customer, actor=staff_user(request))
        return self._detail(customer)

    # Documents -------------------------------------------------------------------------

    @extend_schema(
        summary="List a client's documents",
        description="Each with a short-lived download link signed for the caller.",
        responses={200: s.DocumentSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], parser_classes=[MultiPartParser])
    def documents(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.customer_documents(self.get_object()), s.DocumentSerializer)

    @extend_schema(
        summary="Upload a document for a client",
        description="PDF, JPEG, PNG, WEBP or HEIC up to 10 MB; the content must match the file type.",
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentSerializer, **ERRORS},
    )
    @documents.mapping.post
    def upload_document(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        values = self._input(s.DocumentUploadSerializer)
        document = services.upload_document(customer, actor=staff_user(request), **values)
        data = s.DocumentSerializer(document, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve or reject a document",
        description="A rejection needs a reason, which the client sees.",
        parameters=[OpenApiParameter("document_id", int, OpenApiParameter.PATH)],
        request=s.DocumentReviewSerializer,
        responses={200: s.DocumentSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"documents/(?P<document_id>[0-9]+)/review",
        url_name="documents-review",
    )
    def review_document(self, request: Request, pk: str | None = None, document_id: str | None = None) -> Response:
        customer = self.get_object()
        document = get_object_or_404(customer.documents.all(), pk=document_id)
        values = self._input(s.DocumentReviewSerializer)
        document = services.review_document(
            document, approve=values["decision"] == "approve", reason=values["reason"], actor=staff_user(request)
        )
        document = selectors.customer_documents(customer).get(pk=document.pk)
        return Response(s.DocumentSerializer(document, context=self.get_serializer_context()).data)

    # Comments and bookmarks ------------------------------------------------------------

    @extend_schema(
        summary="List a client's comments",
        responses={200: s.CommentSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.customer_comments(self.get_object()), s.CommentSerializer)

    @extend_schema(
        summary="Comment on a client",
        request=s.CommentCreateSerializer,
        responses={201: s.CommentSerializer, **ERRORS},
    )
    @comments.mapping.post
    def add_comment(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        comment = services.add_comment(customer, actor=staff_user(request), **self._input(s.CommentCreateSerializer))
        comment = selectors.customer_comments(customer).get(pk=comment.pk)
        return Response(s.CommentSerializer(comment, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary="List the calls logged with a client",
        responses={200: s.CallSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def calls(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.customer_calls(self.get_object()), s.CallSerializer)

    @extend_schema(
        summary="Log a call with a client",
        description="Records the call and its outcome as the caller's, on the client's timeline; stamps the client's "
        "`last_contact_at`.",
        request=s.CallCreateSerializer,
        responses={201: s.CallSerializer, **ERRORS},
    )
    @calls.mapping.post
    def log_call(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        call = services.log_call(customer, actor=staff_user(request), **self._input(s.CallCreateSerializer))
        call = selectors.customer_calls(customer).get(pk=call.pk)
        return Response(s.CallSerializer(call, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary="Email a client",
        description="Queues an email from the broker through the `customer.emailed` email template, with replies to "
        "the caller; stamps the client's `last_contact_at`; the email shows in the outbound log and on the "
        "timeline with its delivery status. Answers 400 `no_email` when the client has no email address.",
        request=s.CustomerEmailSerializer,
        responses={200: s.CustomerDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def email(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        services.email_customer(customer, actor=staff_user(request), **self._input(s.CustomerEmailSerializer))
        return self._detail(customer)

    @extend_schema(
        summary="Bookmark a client",
        description="Bookmarking twice keeps one bookmark.",
        request=None,
        responses={204: None, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def bookmark(self, request: Request, pk: str | None = None) -> Response:
        services.bookmark_customer(self.get_object(), user=staff_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Remove a bookmark", request=None, responses={204: None, **ERRORS})
    @bookmark.mapping.delete
    def remove_bookmark(self, request: Request, pk: str | None = None) -> Response:
        services.remove_bookmark(self.get_object(), user=staff_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
