"""The project's URLs plus a probe endpoint that answers with what the caller may do."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.urls import urlpatterns as project_urlpatterns


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def probe(request: Request) -> Response:
    """Any authenticated caller (the default permission needs a model): echoes who it is and what it may do."""
    user = request.user
    return Response(
        {
            "email": user.email,
            "token": getattr(request.auth, "pk", None),
            "view_customer": user.has_perm("customers.view_customer"),
            "view_all_customers": user.has_perm("customers.view_all_customers"),
            "manage_kyc": user.has_perm("customers.manage_kyc"),
        }
    )


urlpatterns = [path("token-probe/", probe, name="token-probe"), *project_urlpatterns]
