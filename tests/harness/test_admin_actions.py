"""Admin actions change nothing on a GET: a link, an image or a redirect planted by someone else must never run
an action with a staff member's session (a GET carries no CSRF token).

Every unfold action of every registered admin (list, detail and row buttons) either opens a confirmation dialog
(its GET only renders the dialog; the dialog's POST is CSRF-checked) or is listed in `READS_ONLY` with what it
shows. A new action without a dialog fails here until it gets one or is listed. `run_service`, through which the
actions call their services, answers 405 to anything but a POST as a second line.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from crm.affiliates.models import Affiliate, CommissionLedger, PayoutRequest
from crm.core.admin import run_service
from tests.affiliates.factories import AffiliateFactory, CommissionLedgerFactory, PayoutWalletFactory

# "app_label.model_name.action" -> what the action only reads or how it guards a GET itself.
READS_ONLY = {
    "affiliates.affiliate.tree": "renders the IB tree",
    "affiliates.affiliate.statistics": "renders the downline statistics",
    "wallets.wallet.open_statement": "opens the statement page",
    "trading.instrument.export_markets_file": "its GET renders a confirmation page; only the POST records the job",
    "trading.instrument.import_markets_file": "opens the upload form (the markets file import's add page)",
}
# ExportAdminMixin's button on every exportable changelist: its GET renders a confirmation page, only the POST
# records the export job.
EXPORT_ACTION = "export_xlsx"


def _unfold_actions() -> list[tuple[str, object]]:
    found = []
    for model, model_admin in admin.site._registry.items():
        if not hasattr(model_admin, "_get_base_actions_detail"):
            continue
        actions = [
            *model_admin._get_base_actions_list(),
            *model_admin._get_base_actions_detail(),
            *model_admin._get_base_actions_row(),
        ]
        for unfold_action in actions:
            name = unfold_action.method.original_function_name
            found.append((f"{model._meta.app_label}.{model._meta.model_name}.{name}", unfold_action))
    return found


def test_every_admin_action_confirms_in_a_dialog_or_only_reads():
    unguarded = []
    for key, unfold_action in _unfold_actions():
        if unfold_action.dialog or key in READS_ONLY or key.endswith(f".{EXPORT_ACTION}"):
            continue
        unguarded.append(key)

    assert unguarded == [], (
        "These admin actions run on a plain GET (a link click, or a page someone else planted): give each a "
        f"confirmation dialog (ConfirmDialogForm) or list it in READS_ONLY with what it shows: {unguarded}"
    )
    known = {key for key, _ in _unfold_actions()}
    assert set(READS_ONLY) - known == set(), "READS_ONLY names an action that is gone"


def test_run_service_refuses_anything_but_a_post():
    request = RequestFactory().get("/admin/anything/")
    request.user = AnonymousUser()
    ran = []

    response = run_service(admin.site._registry[Affiliate], request, lambda: ran.append(1), "done", "/admin/")

    assert response.status_code == 405
    assert ran == []


@pytest.mark.django_db
def test_a_get_on_an_approval_only_shows_its_dialog(client, admin_staff):
    """The three approvals that once ran on a link: affiliate, commission, affiliate payout."""
    client.force_login(admin_staff)
    affiliate = AffiliateFactory(status=Affiliate.Status.PENDING)
    commission = CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("45.00"))
    from crm.affiliates import services

    payout = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)
    urls = [
        reverse("admin:affiliates_affiliate_approve", args=[affiliate.pk]),
        reverse("admin:affiliates_commissionledger_approve_record", args=[commission.pk]),
        reverse("admin:affiliates_payoutrequest_approve_request", args=[payout.pk]),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert b"<form" in response.content

    affiliate.refresh_from_db()
    commission.refresh_from_db()
    payout.refresh_from_db()
    assert affiliate.status == Affiliate.Status.PENDING
    assert commission.status == CommissionLedger.Status.PENDING
    assert payout.status == PayoutRequest.Status.PENDING

    for url in urls:
        client.post(url, {"_form_submitted": "True"})

    affiliate.refresh_from_db()
    commission.refresh_from_db()
    payout.refresh_from_db()
    assert affiliate.status == Affiliate.Status.ACTIVE
    assert commission.status == CommissionLedger.Status.APPROVED
    assert payout.status == PayoutRequest.Status.APPROVED
