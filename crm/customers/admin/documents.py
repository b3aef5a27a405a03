"""KYC documents (a review queue, new ones first) and staff comments."""

from __future__ import annotations

import copy
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display

from crm.core.admin import back_to
from crm.core.exceptions import DomainError
from crm.customers import privacy, services
from crm.customers.admin.filters import DayRangeFilter
from crm.customers.admin.helpers import DOCUMENT_LABELS, ModelAdminBase, download_link, signed_link_url
from crm.customers.forms import ConfirmDialogForm, ReasonDialogForm, ServiceSavedForm
from crm.customers.models import Comment, Customer, Document
from crm.users.models import User
from crm.users.requests import staff_user

IMAGE_SUFFIXES = {"jpg", "jpeg", "png", "webp"}


class DocumentUploadForm(ServiceSavedForm):
    class Meta:
        model = Document
        fields = ("customer", "document_type", "file")

    def run_service(self) -> Document:
        data = self.cleaned_data
        return services.upload_document(
            data["customer"], file=data["file"], document_type=data["document_type"], actor=self.actor
        )


class CommentAddForm(ServiceSavedForm):
    class Meta:
        model = Comment
        fields = ("customer", "body")

    def run_service(self) -> Comment:
        actor = cast(User, self.actor)  # set per request by the admin
        return services.add_comment(self.cleaned_data["customer"], body=self.cleaned_data["body"], actor=actor)


class _ScopedToCustomers(ModelAdminBase):
    """Rows of clients the user may see; the client picker offers only those clients."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "customer":
            kwargs["queryset"] = Customer.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Saved by the service while the form validated.
        return

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(customer_id=int(term)), False
        return queryset.filter(customer__in=Customer.objects.search(term)), False


@admin.register(Document)
class DocumentAdmin(_ScopedToCustomers, ModelAdmin):
    viewer_request: HttpRequest  # set on the per-request copy made by `_for`
    form = DocumentUploadForm
    list_display = ("__str__", "customer", "document_type", "status_label", "created_at", "reviewed_by", "download")
    list_select_related = ("customer", "reviewed_by")
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("document_type", ChoicesDropdownFilter),
        ("created_at", DayRangeFilter),
    )
    list_filter_submit = True
    search_fields = ("customer__email",)
    search_help_text = _("Client id, email prefix or last name prefix")
    show_full_result_count = False
    autocomplete_fields = ("customer",)
    readonly_fields = (
        "customer",
        "document_type",
        "download",
        "original_name",
        "content_type",
        "size",
        "status",
        "rejection_reason",
        "uploaded_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    actions = ["approve_selected"]
    actions_detail = ["approve_document", "reject_document"]
    change_form_outer_before_template = "admin/customers/document/kyc_review.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The review queue: new documents first, then newest.
        return (
            Document.objects.visible_to(request.user)
            .select_related("customer", "reviewed_by", "uploaded_by")
            .annotate(
                queue=Case(
                    When(status=Document.Status.NEW, then=Value(0)), default=Value(1), output_field=IntegerField()
                )
            )
            .order_by("queue", "-created_at", "-id")
        )

    def get_fields(self, request: HttpRequest, obj: Document | None = None) -> list:
        if obj is None:
            return ["customer", "document_type", "file"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Document | None = None) -> tuple:
        return self.readonly_fields if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        # Documents are read-only once uploaded; review goes through the actions.
        return False

    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.review_document")

    @display(description=_("Status"), label=DOCUMENT_LABELS, ordering="status")
    def status_label(self, obj: Document) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("File"))
    def download(self, obj: Document) -> str:
        request = getattr(self, "viewer_request", None)
        return download_link(obj, request.user) if request is not None else "-"

    # The shared admin instance must not hold a request: pages render on a per-request copy
    # that knows its viewer, so download links are signed for them.
    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super(DocumentAdmin, self._for(request)).changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {**(extra_context or {}), "kyc_review": self._kyc_review(request, object_id)}
        return super(DocumentAdmin, self._for(request)).change_view(request, object_id, form_url, extra_context)

    def _kyc_review(self, request: HttpRequest, object_id: str) -> dict[str, Any] | None:
        """The document beside the client data it must match (name, birth date, address, level, other documents)."""
        document = self.get_object(request, object_id)
        if document is None:
            return None
        customer = Customer.objects.select_related("verification_level").get(pk=document.customer_id)
        url = signed_link_url(document, request.user)
        suffix = (document.file.name or "").rsplit(".", 1)[-1].lower()
        others = list(
            customer.documents.exclude(pk=document.pk).order_by("-created_at").values_list("document_type", "status")
        )
        return {
            "document": document,
            "customer": customer,
            "email": privacy.email_for(request.user, customer.email),
            "phone": privacy.phone_for(request.user, customer.phone),
            "url": url,
            "is_image": suffix in IMAGE_SUFFIXES,
            "others": [(Document.Type(kind).label, Document.Status(status).label) for kind, status in others],
        }

    def _for(self, request: HttpRequest) -> DocumentAdmin:
        viewer_copy = copy.copy(self)
        viewer_copy.viewer_request = request
        return viewer_copy

    @admin.action(description=_("Approve selected documents"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        approved, refused = 0, []
        for document in queryset.filter(status=Document.Status.NEW).order_by("pk"):
            try:
                services.review_document(document, approve=True, actor=staff_user(request))
            except DomainError as exc:
                refused.append(f"#{document.pk}: {exc.message}")
            else:
                approved += 1
        self.message_user(request, _("%(count)d document(s) approved.") % {"count": approved}, messages.SUCCESS)
        if refused:
            self.message_user(request, "; ".join(refused), messages.ERROR)

    def _review(self, request: HttpRequest, object_id: str, *, approve: bool, reason: str = "") -> HttpResponse:
        document = self.get_object(request, object_id)
        if document is None:
            raise Http404
        try:
            services.review_document(document, approve=approve, actor=staff_user(request), reason=reason)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Document approved.") if approve else _("Document rejected."))
        return back_to(request, reverse("admin:customers_document_change", args=[document.pk]))

    @action(
        description=_("Approve"),
        url_path="approve",
        icon="check",
        permissions=["review"],
        dialog={"title": _("Approve document"), "form_class": ConfirmDialogForm, "form_submit_text": _("Approve")},
    )
    def approve_document(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        return self._review(request, object_id, approve=True)

    @action(
        description=_("Reject"),
        url_path="reject",
        icon="close",
        permissions=["review"],
        dialog={
            "title": _("Reject document"),
            "description": _("The client sees the reason."),
            "form_class": ReasonDialogForm,
            "form_submit_text": _("Reject"),
        },
    )
    def reject_document(self, request: HttpRequest, form: ReasonDialogForm, object_id: str) -> HttpResponse:
        return self._review(request, object_id, approve=False, reason=form.cleaned_data["reason"])


@admin.register(Comment)
class CommentAdmin(_ScopedToCustomers, ModelAdmin):
    form = CommentAddForm
    list_display = ("excerpt", "customer", "author", "created_at")
    list_select_related = ("customer", "author")
    list_filter = (("created_at", DayRangeFilter),)
    list_filter_submit = True
    search_fields = ("customer__email",)
    search_help_text = _("Client id, email prefix or last name prefix")
    show_full_result_count = False
    autocomplete_fields = ("customer",)
    fields = ("customer", "body")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Comment.objects.visible_to(request.user).select_related("customer", "author")

    def get_readonly_fields(self, request: HttpRequest, obj: Comment | None = None) -> tuple:
        return ("customer", "body", "author", "created_at") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Comment | None = None) -> tuple:
        return ("customer", "body", "author", "created_at") if obj is not None else ("customer", "body")

    def has_change_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        # A note stays as written.
        return False

    @display(description=_("Comment"))
    def excerpt(self, obj: Comment) -> str:
        return obj.body if len(obj.body) <= 80 else f"{obj.body[:79]}…"
