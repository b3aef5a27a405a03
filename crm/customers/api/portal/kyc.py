"""KYC in the portal: status, starting a provider session, and the client's own documents."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.parsers import MultiPartParser
from crm.customers import kyc_providers, services
from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.customers.api.portal import serializers as s
from crm.customers.api.portal.common import ERRORS, NOT_FOUND, example
from crm.customers.models import Document
from crm.users.requests import staff_user

DOCUMENT_EXAMPLE = {
    "id": 7,
    "document_type": "passport",
    "status": "new",
    "rejection_reason": "",
    "original_name": "passport.pdf",
    "size": 183204,
    "created_at": "2025-01-11T10:00:00Z",
    "reviewed_at": None,
    "url": "https://backoffice.example.com/files/eyJzIjoicHJpdmF0ZSJ9:1tXyZa:3kQ/",
}


@extend_schema(tags=["portal: kyc"])
class PortalKycViewSet(viewsets.GenericViewSet):
    """The client's KYC status and the start of a session with the KYC provider."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.KycStatusSerializer

    @extend_schema(
        summary="My KYC status",
        description="The KYC status, verification level and which provider runs KYC (manual upload or SumSub).",
        responses={200: s.KycStatusSerializer, **ERRORS},
        examples=[
            example(
                "Pending",
                {"status": "pending", "verification_level": "Basic", "provider": "sumsub", "sumsub_enabled": True},
            )
        ],
    )
    @action(detail=False, methods=["get"])
    def status(self, request: Request) -> Response:
        customer = portal_customer(request)
        provider = kyc_providers.current_provider_name()
        level = customer.verification_level.name if customer.verification_level is not None else None
        return Response(
            {
                "status": customer.kyc_status,
                "verification_level": level,
                "provider": provider,
                "sumsub_enabled": provider == kyc_providers.SUMSUB,
            }
        )

    @extend_schema(
        summary="Start KYC",
        description=(
            "With SumSub: an access token for the WebSDK (the applicant is the client). With the manual "
            "provider: no token; upload documents to `documents/`."
        ),
        request=None,
        responses={200: s.KycSessionSerializer, 502: ERRORS[400], **ERRORS},
        examples=[example("SumSub", {"provider": "sumsub", "token": "_act-sbx-…", "level_name": "basic-kyc-level"})],
    )
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        session = services.start_kyc(portal_customer(request))
        return Response({"provider": session.provider, "token": session.token, "level_name": session.level_name})


@extend_schema_view(
    list=extend_schema(
        summary="My documents",
        description="The client's KYC documents, newest first, each with a short-lived download link.",
        examples=[example("Document", DOCUMENT_EXAMPLE)],
        responses={200: s.PortalDocumentSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One of my documents",
        description="Another client's document answers 404.",
        responses={200: s.PortalDocumentSerializer, **ERRORS, **NOT_FOUND},
        examples=[example("Document", DOCUMENT_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Upload a document",
        description="PDF, JPEG, PNG, WebP or HEIC up to 10 MB, stored privately; KYC moves to pending review.",
        request={"multipart/form-data": s.DocumentUploadInputSerializer},
        responses={201: s.PortalDocumentSerializer, **ERRORS},
        examples=[example("Uploaded", DOCUMENT_EXAMPLE, status="201")],
    ),
)
@extend_schema(tags=["portal: kyc"])
class PortalDocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The caller's own KYC documents."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.PortalDocumentSerializer
    parser_classes = [MultiPartParser]
    filter_backends: list = []
    queryset = Document.objects.none()

    def get_queryset(self) -> QuerySet[Document]:
        return Document.objects.filter(customer=portal_customer(self.request)).order_by("-created_at", "-pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = s.DocumentUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.upload_document(
            portal_customer(request),
            file=serializer.validated_data["file"],
            document_type=serializer.validated_data["document_type"],
            actor=staff_user(request),
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)
