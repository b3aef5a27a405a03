"""The event catalogue: every outbox event the product emits, with the variables an email template may use.

A template's `trigger` is one of these names; its subject, MJML and text may use the event's variables, plus
`site_name`, `portal_url` and, for events about a client (those with `customer_id`), `customer.first_name`,
`customer.last_name`, `customer.full_name`, `customer.email` and `customer.language`. An event about many clients
(`fans_out`, a message to all of them) sends each of them the email, with their own `customer` fields.
`tests/communications/test_triggers.py` reads every `emit(...)` in `crm/` and fails when an event is missing here.

Events marked `sensitive` carry a single-use link: the link is removed from the stored event once the emails
are queued, and the bodies of their emails are cleared from the log once sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

COMMON_VARIABLES = ("site_name", "portal_url")
CUSTOMER_VARIABLES = (
    "customer.first_name",
    "customer.last_name",
    "customer.full_name",
    "customer.email",
    "customer.language",
)
_TRANSACTION = ("transaction_id", "type", "status", "customer_id", "wallet_id", "amount", "currency")
_PAYOUT = ("payout_id", "transaction_id", "customer_id", "amount", "currency", "status")
_POSITION = (
    "position_id",
    "account_id",
    "customer_id",
    "instrument",
    "instrument_group",
    "lots",
    "commission",
)


@dataclass(frozen=True)
class Trigger:
    """One event name, what it means and the payload fields it carries."""

    name: str
    description: StrOrPromise
    payload: tuple[str, ...]
    sensitive: bool = False
    # Names of payload fields that hold a secret (removed from the stored event once used).
    secrets: tuple[str, ...] = field(default=())
    # An event about many clients (a message to all of them): each gets the email, with their own fields.
    fans_out: bool = False
    # The payload field holding the address of the person the event names (a lead, a report's reader), for
    # templates sent to the addressee.
    address: str = ""

    @property
    def about_customer(self) -> bool:
        return "customer_id" in self.payload or self.fans_out

    @property
    def variables(self) -> tuple[str, ...]:
        """Every name a template on this trigger may use (dotted for the client's fields)."""
        extra = CUSTOMER_VARIABLES if self.about_customer else ()
        return (*COMMON_VARIABLES, *self.payload, *extra)


def _t(
    name: str,
    description: StrOrPromise,
    *payload: str,
    secrets: tuple[str, ...] = (),
    fans_out: bool = False,
    address: str = "",
) -> Trigger:
    sensitive = bool(secrets)
    return Trigger(name, description, payload, sensitive, secrets, fans_out, address)


def _catalogue() -> list[Trigger]:
    tx = _TRANSACTION
    return [
        # Clients
        _t("customer.registered", _("A client signed up"), "customer_id", "form", "introducer_id"),
        _t("customer.created", _("Staff or a partner created a client"), "customer_id"),
        _t("customer.updated", _("A client's profile changed"), "customer_id", "fields"),
        _t("customer.status_changed", _("A client's status changed"), "customer_id", "status"),
        _t(
            "customer.agent_assigned",
            _("A client got a new agent"),
            "customer_id",
            "conversion_agent_id",
            "retention_agent_id",
        ),
        _t(
            "customer.email_confirmation_requested",
            _("A client asked for an email confirmation link"),
            "customer_id",
            "link",
            secrets=("link",),
        ),
        _t("customer.email_confirmed", _("A client confirmed their email"), "customer_id"),
        _t("customer.phone_confirmed", _("A client confirmed their phone"), "customer_id"),
        _t(
            "customer.password_reset_requested",
            _("A client asked to reset their password by email"),
            "customer_id",
            "link",
            secrets=("link",),
        ),
        _t("customer.termination_requested", _("A client asked to close their account"), "customer_id"),
        _t("customer.emailed", _("Staff emailed a client"), "customer_id", "subject", "body", "reply_to"),
        # KYC
        _t("document.uploaded", _("A client uploaded a KYC document"), "customer_id", "document_id"),
        _t("document.approved", _("A KYC document was approved"), "customer_id", "document_id"),
        _t("document.rejected", _("A KYC document was rejected"), "customer_id", "document_id"),
        _t("kyc.approved", _("A client's KYC was approved"), "customer_id", "verification_level_id"),
        _t("kyc.rejected", _("A client's KYC was rejected"), "customer_id"),
        _t("kyc.revoked", _("A client's KYC approval was revoked"), "customer_id"),
        _t("kyc.reset", _("A client's KYC was reset"), "customer_id"),
        # Money
        _t("deposit.started", _("A deposit was started"), *tx),
        _t("deposit.completed", _("A deposit was credited"), *tx, "is_first", "completed_at"),
        _t("deposit.first", _("A client's first deposit was credited"), *tx, "completed_at"),
        _t("client.ftd", _("A client made their first deposit (FTD)"), *tx, "completed_at"),
        _t("deposit.failed", _("A deposit failed"), *tx, "reason"),
        _t("deposit.refunded", _("A deposit was refunded"), *tx, "reason", "shortfall"),
        _t("deposit.charged_back", _("A deposit was charged back"), *tx, "reason", "shortfall"),
        _t("transaction.created", _("Staff recorded a movement"), *tx),
        _t("transaction.completed", _("A movement was completed"), *tx),
        _t("transaction.rejected", _("A movement was rejected"), *tx, "reason"),
        _t(
            "transfer.completed",
            _("A transfer between wallets was completed"),
            *tx,
            "target_wallet_id",
            "target_amount",
        ),
        _t("withdrawal.requested", _("A withdrawal was requested"), *tx),
        _t("withdrawal.first_approved", _("A withdrawal got its first approval"), *tx),
        _t("withdrawal.approved", _("A withdrawal was approved"), *tx, "automatic"),
        _t("withdrawal.rejected", _("A withdrawal was rejected"), *tx, "reason"),
        _t("withdrawal.cancelled", _("A withdrawal was cancelled"), *tx, "reason"),
        _t("withdrawal.refunded", _("A withdrawal was given back to the wallet"), *tx),
        _t("withdrawal.failed", _("A withdrawal's payout failed"), *tx, "reason"),
        _t("withdrawal.completed", _("A withdrawal was paid out"), *tx),
        _t("wallet.created", _("A wallet was opened"), "wallet_id", "customer_id", "is_demo", "currency"),
        _t("payout.failed", _("A payout failed"), *_PAYOUT, "reason"),
        _t("payout.attention_needed", _("A payout needs Finance's attention"), *_PAYOUT, "error"),
        _t(
            "webhook.failed",
            _("A payment provider's webhook failed or contradicted a recorded outcome"),
            "webhook_id",
            "provider",
            "status",
            "reference",
            "error",
        ),
        _t(
            "payment.contradicted",
            _("A provider contradicted a recorded payment outcome"),
            "contradiction_id",
            "transaction_id",
            "webhook_id",
        ),
        # Trading
        _t("order.filled", _("An order was filled"), "order_id", "position_id", "customer_id"),
        _t("position.opened", _("A position was opened"), *_POSITION),
        _t("position.closed", _("A position was closed"), *_POSITION, "profit", "reason"),
        _t("margin.call", _("An account reached its margin call level"), "account_id", "customer_id", "margin_level"),
        _t("stop_out", _("A position was closed by stop-out"), "account_id", "customer_id", "position_id", "note"),
        # Affiliates
        _t("affiliate.enrolled", _("A client joined the affiliate program"), "affiliate_id", "customer_id", "status"),
        _t("affiliate.updated", _("An affiliate was changed"), "affiliate_id", "fields"),
        _t("affiliate.moved", _("An affiliate moved in the IB tree"), "affiliate_id", "parent_id", "old_parent_id"),
        _t("affiliate.status_changed", _("An affiliate's status changed"), "affiliate_id", "status", "reason"),
        _t("affiliate.referral_attributed", _("A referral was attributed"), "customer_id", "affiliate_id"),
        _t("affiliate.referral_flagged", _("A referral was flagged"), "customer_id", "affiliate_id", "reason"),
        _t(
            "affiliate.referral_reassigned",
            _("A referral moved to another affiliate"),
            "customer_id",
            "affiliate_id",
            "old_affiliate_id",
        ),
        _t(
            "affiliate.payout_requested",
            _("An affiliate asked for a payout"),
            "payout_request_id",
            "affiliate_id",
            "amount",
        ),
        _t(
            "affiliate.payout_approved",
            _("An affiliate payout was approved"),
            "payout_request_id",
            "transaction_id",
            "amount",
        ),
        _t("affiliate.payout_rejected", _("An affiliate payout was rejected"), "payout_request_id", "reason"),
        _t("affiliates.commissions_calculated", _("Commissions were calculated"), "created", "clawbacks"),
        _t("affiliates.commissions_approved", _("Commissions were approved"), "count"),
        _t("affiliates.commission_corrected", _("A commission was corrected"), "ledger_id", "amount"),
        # Messages
        _t(
            "group_message.sent",
            _("Staff sent a message to many clients (each of them gets the email)"),
            "group_message_id",
            "subject",
            "text",
            "type",
            fans_out=True,
        ),
        # Sales
        _t("lead.created", _("A lead was created"), "lead_id"),
        _t("lead.updated", _("A lead was changed"), "lead_id"),
        _t("lead.status_changed", _("A lead's sales status changed"), "lead_id", "sales_status_id"),
        _t(
            "lead.emailed",
            _("Staff emailed a lead"),
            "lead_id",
            "subject",
            "body",
            "to_email",
            "reply_to",
            "language",
            address="to_email",
        ),
        _t("lead.assigned", _("A lead was assigned"), "lead_id", "sales_person_id", "desk_id"),
        _t("lead.converted", _("A lead became a client"), "lead_id", "customer_id"),
        _t("lead.merged", _("Two leads were merged"), "lead_id", "merged_lead_id"),
        _t("leads.imported", _("Leads were imported"), "import_id", "lead_ids"),
        _t("leads.bulk_edited", _("Leads were edited in bulk"), "lead_ids"),
        # Reports
        _t(
            "report.ready",
            _("A report is ready to download (one event per person to notify)"),
            "report_run_id",
            "title",
            "start",
            "end",
            "rows",
            "until",
            "url",
            "to_email",
            secrets=("url",),
            address="to_email",
        ),
    ]


def triggers() -> dict[str, Trigger]:
    """The catalogue by event name (descriptions translated lazily)."""
    return {trigger.name: trigger for trigger in _catalogue()}


def get_trigger(name: str) -> Trigger | None:
    return triggers().get(name)
