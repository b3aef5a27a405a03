"""Who may call the client portal API: a logged-in client, acting on their own objects only."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from crm.customers.models import Customer


def portal_customer(request) -> Customer:
    """The caller's client record. Views scope every query by it, so another client's id answers 404."""
    return request.user.customer


class IsPortalCustomer(BasePermission):
    """An active, non-staff user with a client record that is not banned or deleted."""

    message = _("This endpoint is for clients of the portal.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active) or user.is_staff:
            return False
        customer = getattr(user, "customer", None)
        return customer is not None and customer.status in (Customer.Status.ACTIVE, Customer.Status.INACTIVE)
