"""A test-only admin site and API viewset over clients, to export a list with masked personal data.

The real customers admin and API are other modules' business; these stand in for "any changelist"
and "any list endpoint" so the export machinery is tested on its own.
"""

from django.contrib.admin import AdminSite
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import SimpleRouter
from unfold.admin import ModelAdmin
from unfold.decorators import display

from crm.core.api.exports import ExportableViewSetMixin
from crm.core.api.permissions import StaffModelPermissions
from crm.core.exports.admin import ExportAdminMixin
from crm.customers.models import Customer
from crm.customers.privacy import can_view_personal_data

site = AdminSite(name="exporttest")


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class CustomerExportAdmin(ExportAdminMixin, ModelAdmin):
    list_filter = ["status"]
    search_fields = ["last_name"]
    list_select_related = ["conversion_agent"]
    ordering = ["id"]

    def get_list_display(self, request):
        email = "email" if can_view_personal_data(request.user) else "masked_email"
        return ["id", "first_name", email, "status", "conversion_agent"]

    @display(description="Email")
    def masked_email(self, obj: Customer) -> str:
        return mask_email(obj.email)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


site.register(Customer, CustomerExportAdmin)


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class CustomerSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField()
    conversion_agent = AgentSerializer(allow_null=True)

    class Meta:
        model = Customer
        fields = ["id", "first_name", "email", "status", "conversion_agent"]

    def get_email(self, obj: Customer) -> str:
        user = self.context["request"].user
        return obj.email if can_view_personal_data(user) else mask_email(obj.email)


class CustomerFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Customer.Status.choices)

    class Meta:
        model = Customer
        fields = ["country"]


class CustomerExportViewSet(ExportableViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    permission_classes = [StaffModelPermissions]
    ordering_fields = ["id", "first_name"]
    export_permission = "customers.export_customer"
    queryset = Customer.objects.none()

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user).for_list().order_by("id")


router = SimpleRouter()
router.register("customers", CustomerExportViewSet, basename="customer")
