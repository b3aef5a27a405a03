"""The client's own account: profile, picture, disclaimer, disable request, onboarding steps and forms."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.parsers import MultiPartParser
from crm.core.files import signed_file_url
from crm.customers import services
from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.customers.api.portal import serializers as s
from crm.customers.api.portal.common import (
    ERRORS,
    PROFILE_EXAMPLE,
    SUCCESS_EXAMPLE,
    NotImpersonated,
    example,
)
from crm.customers.models import Customer, OnboardingStage, OnboardingStep


def _profile(customer: Customer) -> Response:
    customer = Customer.objects.select_related("client_type", "verification_level").get(pk=customer.pk)
    return Response(s.ProfileSerializer(customer).data)


@extend_schema(tags=["portal: account"])
class PortalAccountViewSet(viewsets.GenericViewSet):
    """The caller's own client record; nothing here takes an id."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.ProfileSerializer
    queryset = Customer.objects.none()

    @extend_schema(
        methods=["GET"],
        summary="Get my profile",
        responses={200: s.ProfileSerializer, **ERRORS},
        examples=[example("Profile", PROFILE_EXAMPLE)],
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Update my profile",
        description=(
            "Changes the fields the field configuration marks editable; others answer 400 "
            "`field_not_editable`. A new phone number must be confirmed again."
        ),
        request=s.ProfileFieldsSerializer,
        responses={200: s.ProfileSerializer, **ERRORS},
        examples=[
            example("Move", {"city": "Leeds", "language": "de"}, request=True),
            example("Profile", PROFILE_EXAMPLE),
        ],
    )
    @action(detail=False, methods=["get", "patch"])
    def profile(self, request: Request) -> Response:
        customer = portal_customer(request)
        if request.method == "PATCH":
            serializer = s.ProfileFieldsSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            customer = services.update_own_profile(customer, dict(serializer.validated_data))
        return _profile(customer)

    @extend_schema(
        methods=["GET"],
        summary="Get my profile picture",
        description="A short-lived signed link to the picture, or null.",
        responses={200: s.PictureSerializer, **ERRORS},
        examples=[example("Picture", {"url": "/files/eyJz…/"})],
    )
    @extend_schema(
        methods=["PUT"],
        summary="Upload my profile picture",
        description="JPEG, PNG or WebP, at most 2 MB; replaces the current one.",
        request={"multipart/form-data": s.PictureInputSerializer},
        responses={200: s.PictureSerializer, **ERRORS},
        examples=[example("Picture", {"url": "/files/eyJz…/"})],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete my profile picture",
        responses={200: s.PictureSerializer, **ERRORS},
        examples=[example("No picture", {"url": None})],
    )
    @action(detail=False, methods=["get", "put", "delete"], parser_classes=[MultiPartParser])
    def picture(self, request: Request) -> Response:
        customer = portal_customer(request)
        if request.method == "PUT":
            serializer = s.PictureInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            customer = services.set_profile_picture(customer, file=serializer.validated_data["file"])
        elif request.method == "DELETE":
            customer = services.delete_profile_picture(customer)
        url = signed_file_url(customer.profile_picture, user=request.user) if customer.profile_picture else None
        return Response({"url": url})

    @extend_schema(
        summary="Accept the deposit disclaimer",
        request=None,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="accept-deposit-disclaimer")
    def accept_deposit_disclaimer(self, request: Request) -> Response:
        services.accept_deposit_disclaimer(portal_customer(request))
        return Response({"success": True})

    @extend_schema(
        summary="Ask to disable my account",
        description="Staff see the request and close the account; asking again changes nothing.",
        request=None,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[SUCCESS_EXAMPLE],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="disable-request",
        permission_classes=[IsPortalCustomer, NotImpersonated],
    )
    def disable_request(self, request: Request) -> Response:
        services.request_account_disable(portal_customer(request))
        return Response({"success": True})


STAGE = OpenApiParameter(
    "stage", str, OpenApiParameter.PATH, enum=OnboardingStage.values, description="The onboarding stage."
)
STEP = OpenApiParameter("step", str, OpenApiParameter.PATH, enum=OnboardingStep.values, description="The form step.")


@extend_schema(tags=["portal: onboarding"])
class PortalOnboardingViewSet(viewsets.GenericViewSet):
    """Which onboarding steps are pending, and the forms that complete them."""

    pagination_class = None  # answers plain arrays

    permission_classes = [IsPortalCustomer]
    serializer_class = s.PendingStepsSerializer
    queryset = Customer.objects.none()

    @extend_schema(
        summary="Pending steps of a stage",
        description="The steps staff require at the stage that the client has not done yet.",
        parameters=[STAGE],
        responses={200: s.PendingStepsSerializer, **ERRORS},
        examples=[example("Before deposit", {"stage": "BeforeDeposit", "steps": ["KYC", "DisclaimerBeforeDeposit"]})],
    )
    @action(detail=False, methods=["get"], url_path=r"stages/(?P<stage>[A-Za-z]+)/pending")
    def pending(self, request: Request, stage: str) -> Response:
        return Response({"stage": stage, "steps": services.pending_steps(portal_customer(request), stage)})

    @extend_schema(
        methods=["GET"],
        summary="Fields of a form step",
        description="Which profile fields the step asks for, which are required and which stay editable. Public.",
        parameters=[STEP],
        responses={200: s.FieldConfigurationSerializer(many=True), **ERRORS},
        examples=[
            example(
                "Real sign-up", {"field": "country", "step": "SignupRealForm", "required": True, "editable": False}
            )
        ],
    )
    @extend_schema(
        methods=["POST"],
        summary="Submit a form step",
        description="Fills the step's fields: empty ones may be set, set ones only when editable.",
        parameters=[STEP],
        request=s.ProfileFieldsSerializer,
        responses={200: s.ProfileSerializer, **ERRORS},
        examples=[
            example("Address", {"address_line1": "1 High Street", "city": "London"}, request=True),
            example("Profile", PROFILE_EXAMPLE),
        ],
    )
    @action(
        detail=False,
        methods=["get", "post"],
        url_path=r"forms/(?P<step>[A-Za-z]+)",
        permission_classes=[AllowAny],
    )
    def forms(self, request: Request, step: str) -> Response:
        if request.method == "GET":
            configs = services.form_configuration(step)
            return Response(s.FieldConfigurationSerializer(configs, many=True).data)
        if not IsPortalCustomer().has_permission(request, self):
            self.permission_denied(request, message=str(IsPortalCustomer.message))
        serializer = s.ProfileFieldsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = services.submit_form(portal_customer(request), step, dict(serializer.validated_data))
        return _profile(customer)
