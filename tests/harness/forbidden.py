"""What each object route is tried on: an object of the victim side, which the matrix's callers must not reach.

`FORBIDDEN` maps a resource (`<audience>:<router basename>`, as `routes.Route.resource` names it) to a
builder that makes one object of the victim and returns the route's URL kwargs, plus whatever the body needs
that the OpenAPI schema cannot know. A resource with no entry in `FORBIDDEN` or `EXEMPT` fails the matrix:
a new endpoint is covered as soon as it gets its builder here.

`EXEMPT` lists the resources that are not scoped to a client, an agent, a desk or an affiliate (configuration
readable by every staff member who holds the model permission), each with the reason. Their routes are
still tried with credentials that must be refused whoever asks (an expired token, a token from the wrong
address).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from crm.affiliates import services as affiliate_services
from crm.affiliates.models import Affiliate, PayoutRequest
from crm.communications.models import (
    EmailMessage,
    EmailTemplate,
    GroupMessage,
    Message,
    ProviderCall,
    PushNotification,
    PushSubscription,
    TextMessage,
)
from crm.communications.services import calls as voip_calls
from crm.core.roles import Role
from crm.payments.models import PaymentMethodGroup, WebhookEvent
from crm.reports.models import AdminNotification, ReportRun, ReportTemplate
from crm.sales.services import imports
from crm.trading import models as trading_models
from crm.trading import services as trading_services
from crm.users.models import Device
from crm.wallets import services as wallet_services
from crm.wallets.models import CurrencyConversion
from tests.affiliates.api_factories import portal_affiliate
from tests.affiliates.factories import (
    BucketFactory,
    CommissionLedgerFactory,
    CommissionModelFactory,
    PayoutWalletFactory,
    SourceFactory,
    referral_of,
)
from tests.core.factories import ExportJobFactory
from tests.customers.factories import DocumentFactory, PortalCustomerFactory, SalesStatusFactory
from tests.payments.factories import PaymentMethodFactory, PaymentProviderFactory, WhitelistedAddressFactory
from tests.sales.factories import AssignmentRuleFactory, DeskFactory, LeadFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory
from tests.trading.factories import quote as trading_quote
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import (
    AccountGroupFactory,
    CurrencyFactory,
    ExchangeRateFactory,
    PlatformFactory,
    WalletFactory,
)
from tests.wallets.helpers import fund


class Victim:
    """The side that owns the objects: an agent in their own desk, a client of theirs, an affiliate of theirs.

    Each piece is made the first time a builder asks for it, so a case only pays for what its route needs.
    """

    @cached_property
    def desk(self):
        return DeskFactory(manager=StaffUserFactory(roles=[Role.SALES_MANAGER]))

    @cached_property
    def agent(self):
        agent = StaffUserFactory(roles=[Role.SALES_AGENT, Role.RETENTION_AGENT])
        self.desk.members.add(agent)
        return agent

    @cached_property
    def customer(self):
        """A portal client handled by the victim agent."""
        return PortalCustomerFactory(conversion_agent=self.agent, retention_agent=self.agent)

    @cached_property
    def wallet(self):
        """A funded demo wallet of the client (so a leaked top-up, movement or statement would work)."""
        return fund(WalletFactory(customer=self.customer, is_demo=True), "100")

    @cached_property
    def withdrawal(self):
        """A withdrawal the client asked for (its amount on hold) that nobody approved yet."""
        live = fund(WalletFactory(customer=self.customer), "100")
        return wallet_services.request_withdrawal(
            self.customer, wallet=live, amount=Decimal("10"), actor=self.customer.user, method="manual"
        )

    @cached_property
    def trading_account(self):
        """A funded trading account of the client with an open position and a pending order on EURUSD."""
        account = fund(TradingAccountFactory(customer=self.customer), "10000")
        eurusd = InstrumentFactory(symbol="EURUSD")
        trading_quote(eurusd, "1.10000", "1.10020")
        trading_services.place_order(account, instrument=eurusd, side="buy", lots=Decimal("0.10"))
        trading_services.place_order(
            account, instrument=eurusd, side="buy", lots=Decimal("0.10"), order_type="limit", price=Decimal("1.05")
        )
        return account

    @cached_property
    def affiliate(self):
        """An active affiliate with a portal login, managed by the victim agent."""
        affiliate = portal_affiliate()
        Affiliate.objects.filter(pk=affiliate.pk).update(manager=self.agent)
        affiliate.refresh_from_db()
        return affiliate

    @cached_property
    def referral(self):
        """A client the affiliate introduced."""
        return referral_of(self.affiliate)


@dataclass(frozen=True)
class Target:
    """Where to send the request: the URL kwargs, and body fields by action (merged over the schema's).

    A value may be a function, called only when the route at hand needs it (a document for the one route
    with a `document_id`, a second lead for `merge`), so each case makes only its own rows.
    """

    kwargs: dict[str, Any]
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Forbidden:
    """How to make a victim object for a resource, and callers to try beyond the audience's usual ones.

    `nested` is for routes with more than one object kwarg (`customers/{pk}/documents/{document_id}/...`):
    kwargs whose first object is the victim's own and whose inner one belongs to somebody else, tried by the
    victim's owner, who may see the outer object but not the inner one.
    """

    build: Callable[[Victim], Target]
    extra_callers: tuple[str, ...] = ()
    nested: Callable[[Victim], Target] | None = None


@dataclass(frozen=True)
class Exempt:
    """A resource that is not object-scoped; its routes only meet credentials that are refused anyway."""

    reason: str
    build: Callable[[Victim], Target]


# Back office -------------------------------------------------------------------------------------------


def _customer(victim: Victim) -> Target:
    customer = victim.customer
    return Target(
        {"pk": customer.pk, "document_id": lambda: DocumentFactory(customer=customer).pk},
        bodies={
            "partial_update": {"first_name": "Leaked"},
            "assign": {"conversion_agent_id": None},
        },
    )


def _customer_with_foreign_document(victim: Victim) -> Target:
    foreign = DocumentFactory(customer=PortalCustomerFactory())
    return Target({"pk": victim.customer.pk, "document_id": foreign.pk})


def _lead(victim: Victim) -> Target:
    lead = LeadFactory(sales_person=victim.agent, desk=victim.desk)
    return Target(
        {"pk": lead.pk},
        bodies={
            "partial_update": {"first_name": "Leaked"},
            "assign": {"sales_person_id": None},
            "change_status": {"sales_status_id": lambda: SalesStatusFactory().pk},
            "merge": {"other_id": lambda: LeadFactory(sales_person=victim.agent, desk=victim.desk).pk},
        },
    )


def _lead_import(victim: Victim) -> Target:
    upload = ContentFile(b"email,first_name\nleaked@example.com,Leaked\n", name="leads.csv")
    job = imports.create_import(owner=victim.agent, file=upload, name="leads.csv")
    return Target({"pk": job.pk})


def _export_job(victim: Victim) -> Target:
    return Target({"pk": ExportJobFactory(owner=victim.agent).pk})


def _wallet(victim: Victim) -> Target:
    return Target({"pk": victim.wallet.pk}, bodies={"partial_update": {"caption": "Leaked"}})


def _transaction(victim: Victim) -> Target:
    return Target({"pk": victim.withdrawal.pk})


def _journal_entry(victim: Victim) -> Target:
    return Target({"pk": victim.wallet.postings.latest("pk").entry_id})


def _whitelisted_address(victim: Victim) -> Target:
    entry = WhitelistedAddressFactory(customer=victim.customer)
    return Target({"pk": entry.pk}, bodies={"partial_update": {"is_enabled": False}})


def _position(victim: Victim) -> Target:
    position = victim.trading_account.positions.get()
    return Target(
        {"pk": position.pk},
        bodies={
            "close": {},
            "stops": {"stop_loss": None, "take_profit": None},
            "correct": {"field": "open_price", "value": "1.2", "reason": "Hostile"},
        },
    )


def _order(victim: Victim) -> Target:
    return Target({"pk": victim.trading_account.orders.get(status="pending").pk})


def _deal(victim: Victim) -> Target:
    return Target({"pk": victim.trading_account.deals.get().pk})


def _portal_trading_account(victim: Victim) -> Target:
    """The victim's trading account, with a watchlist the matrix must leave as it is."""
    account = victim.trading_account
    trading_services.set_watchlist(account, symbols=["EURUSD"])
    symbol = {"symbol": "EURUSD"}
    return Target(
        {"pk": account.pk}, bodies={"watchlist": {"symbols": []}, "watchlist_add": symbol, "watchlist_remove": symbol}
    )


def _backoffice_affiliate(victim: Victim) -> Target:
    return Target({"pk": victim.affiliate.pk}, bodies={"partial_update": {"show_contact_details": True}})


def _ledger_record(victim: Victim) -> Target:
    record = CommissionLedgerFactory(introducer=victim.affiliate, status="PENDING")
    return Target({"pk": record.pk})


def _payout_request(victim: Victim) -> Target:
    wallet = PayoutWalletFactory(affiliate=victim.affiliate)
    payout = PayoutRequest.objects.create(
        introducer=victim.affiliate,
        payout_wallet=wallet,
        amount=Decimal("10"),
        currency=CurrencyFactory(code="USD"),
        requested_at=timezone.now(),
    )
    return Target({"pk": payout.pk})


def _message(victim: Victim) -> Target:
    return Target({"pk": Message.objects.create(customer=victim.customer, subject="Victim's", text="Private").pk})


def _push_subscription(user: Any, topic: str) -> Target:
    subscription = PushSubscription.objects.create(
        user=user, topic=topic, endpoint=f"https://push.example.com/{topic}/{user.pk}", p256dh="k", auth="a"
    )
    return Target({"pk": subscription.pk})


def _voip_call(victim: Victim) -> Target:
    call = ProviderCall.objects.create(
        provider=voip_calls.active_provider(), customer=victim.customer, phone="+447700900123", external_id="victim"
    )
    return Target({"pk": call.pk})


def _push_notification(victim: Victim) -> Target:
    customer = victim.customer
    push = PushNotification.objects.create(
        user=customer.user, customer=customer, topic="user", payload={"title": "Victim's"}
    )
    return Target({"pk": push.pk})


# Portal ------------------------------------------------------------------------------------------------


def _portal_document(victim: Victim) -> Target:
    return Target({"pk": DocumentFactory(customer=victim.customer).pk})


def _portal_device(victim: Victim) -> Target:
    return Target({"pk": Device.objects.create(user=victim.customer.user, key="f" * 64, platform="web").pk})


def _portal_whitelisted_address(victim: Victim) -> Target:
    return Target({"pk": WhitelistedAddressFactory(customer=victim.customer).pk})


# Affiliate ---------------------------------------------------------------------------------------------


def _affiliate_key(victim: Victim) -> Target:
    api_key, _ = affiliate_services.create_api_key(victim.affiliate, actor=None)
    return Target({"pk": api_key.pk})


def _referral(victim: Victim) -> Target:
    return Target({"pk": victim.referral.pk}, bodies={"partial_update": {"source": "leaked", "notes": "Leaked"}})


def _commission(victim: Victim) -> Target:
    return Target({"pk": CommissionLedgerFactory(introducer=victim.affiliate).pk})


# Exempt ones: real objects, so a refusal is not just "no such row" ---------------------------------------


def _bucket(victim: Victim) -> Target:
    bucket = BucketFactory(affiliate=victim.affiliate)
    source = SourceFactory(affiliate=victim.affiliate)
    bucket.sources.add(source)
    return Target({"bucket_id": bucket.pk, "affiliate_id": victim.affiliate.customer_id, "source_id": source.pk})


def _email_message(victim: Victim) -> Target:
    message = EmailMessage.objects.create(
        customer=victim.customer, trigger="kyc.approved", to_email=victim.customer.email, language="en", subject="x"
    )
    return Target({"pk": message.pk})


def _report_run(victim: Victim) -> Target:
    run = ReportRun.objects.create(
        owner=victim.agent, kind="balance", params={"start": "2026-11-01", "end": "2026-11-30"}
    )
    return Target({"pk": run.pk})


def _history_report(victim: Victim) -> Target:
    """A built report of a history server read model (001 `/api/reports/{reportId}`), the agent's own."""
    run = ReportRun.objects.create(
        owner=victim.agent, kind="h.trades", params={"filters": []}, status=ReportRun.Status.DONE
    )
    run.file.save("trades.csv", ContentFile(b"userId\n"))
    return Target({"reportId": run.pk})


def _history_report_template(victim: Victim) -> Target:
    """A live template of a history server read model (001 `/api/reports/templates/{templateId}`)."""
    template = ReportTemplate.objects.create(
        owner=victim.agent, name="Victim's", kind="h.trades", params={"filters": []}, base_date=timezone.now(),
        next_run_at=timezone.now(),
    )  # fmt: skip
    body = {
        "templateName": "Leaked", "source": "Trades",
        "schedule": {"baseDate": "2030-01-06T08:00:00Z", "frequency": "Daily"},
    }  # fmt: skip
    return Target({"templateId": template.pk}, bodies={"put": body})


def _report_template(victim: Victim) -> Target:
    template = ReportTemplate.objects.create(
        owner=victim.agent, name="Victim's", kind="balance", base_date=timezone.now(), next_run_at=timezone.now()
    )
    return Target({"pk": template.pk}, bodies={"partial_update": {"name": "Leaked"}})


def _admin_notification(victim: Victim) -> Target:
    note = AdminNotification.objects.create(
        recipient=victim.agent, type="StopOut", key="victim", data={"type": "StopOut", "note": "victim's"}
    )
    return Target({"pk": note.pk})


def _pk(make: Callable[[], Any]) -> Callable[[Victim], Target]:
    return lambda victim: Target({"pk": make().pk})


# Customers with the agents "outside the desk" and "in the desk, not the owner" around them.
IN_DESK = ("desk-colleague",)

FORBIDDEN: dict[str, Forbidden] = {
    "backoffice:customer": Forbidden(_customer, extra_callers=IN_DESK, nested=_customer_with_foreign_document),
    "backoffice:lead": Forbidden(_lead, extra_callers=IN_DESK),
    "backoffice:lead-import": Forbidden(_lead_import, extra_callers=IN_DESK),
    "backoffice:exportjob": Forbidden(_export_job, extra_callers=IN_DESK),
    "backoffice:wallet": Forbidden(_wallet, extra_callers=IN_DESK),
    "backoffice:client-summary": Forbidden(lambda victim: Target({"pk": victim.customer.pk}), extra_callers=IN_DESK),
    "backoffice:transaction": Forbidden(_transaction, extra_callers=IN_DESK),
    "backoffice:journalentry": Forbidden(_journal_entry),
    "backoffice:whitelistedaddress": Forbidden(_whitelisted_address, extra_callers=IN_DESK),
    "backoffice:affiliate": Forbidden(_backoffice_affiliate),
    "backoffice:position": Forbidden(_position, extra_callers=IN_DESK),
    "backoffice:order": Forbidden(_order, extra_callers=IN_DESK),
    "backoffice:deal": Forbidden(_deal, extra_callers=IN_DESK),
    "backoffice:commission-ledger": Forbidden(_ledger_record),
    "backoffice:affiliate-payout-request": Forbidden(_payout_request),
    "backoffice:report-run": Forbidden(_report_run, extra_callers=IN_DESK),
    "backoffice:emailmessage": Forbidden(_email_message, extra_callers=IN_DESK),
    "backoffice:report-template": Forbidden(_report_template, extra_callers=IN_DESK),
    "backoffice:admin-notification": Forbidden(_admin_notification, extra_callers=IN_DESK),
    "backoffice:message": Forbidden(_message, extra_callers=IN_DESK),
    "backoffice:text-message": Forbidden(
        lambda victim: Target(
            {
                "pk": TextMessage.objects.create(
                    customer=victim.customer, phone="+447700900123", text="Private", provider="log", status="sent"
                ).pk
            }
        ),
        extra_callers=IN_DESK,
    ),
    "backoffice:voip-call": Forbidden(_voip_call, extra_callers=IN_DESK),
    "backoffice:push-subscription": Forbidden(lambda victim: _push_subscription(victim.agent, "admin")),
    "backoffice:push-notification": Forbidden(_push_notification, extra_callers=IN_DESK),
    "backoffice:customer-communications": Forbidden(
        lambda victim: Target({"pk": victim.customer.pk}), extra_callers=IN_DESK
    ),
    "backoffice:lead-communications": Forbidden(
        lambda victim: Target({"pk": LeadFactory(sales_person=victim.agent, desk=victim.desk).pk}),
        extra_callers=IN_DESK,
    ),
    # Seed 001's history server at its own paths: a client's balance (staff), a client's order (the client).
    "history:user-balance": Forbidden(
        lambda victim: Target({"userId": victim.customer.pk}),
        extra_callers=("agent-outside-desk", "scoped-staff", "desk-colleague", "client-jwt"),
    ),
    "history:report": Forbidden(
        _history_report, extra_callers=("agent-outside-desk", "scoped-staff", "desk-colleague", "client-jwt")
    ),
    "history:report-download": Forbidden(
        _history_report, extra_callers=("agent-outside-desk", "scoped-staff", "desk-colleague", "client-jwt")
    ),
    "history:report-template": Forbidden(
        _history_report_template, extra_callers=("agent-outside-desk", "scoped-staff", "desk-colleague", "client-jwt")
    ),
    "history:report-template-run": Forbidden(
        _history_report_template, extra_callers=("agent-outside-desk", "scoped-staff", "desk-colleague", "client-jwt")
    ),
    "history:history-trader:history-order": Forbidden(
        lambda victim: Target({"orderId": victim.trading_account.orders.get(status="pending").pk}),
        extra_callers=("another-client", "staff-token", "expired-jwt"),
    ),
    "portal:document": Forbidden(_portal_document),
    "portal:message": Forbidden(_message),
    "portal:push-subscription": Forbidden(lambda victim: _push_subscription(victim.customer.user, "user")),
    "portal:device": Forbidden(_portal_device),
    "portal:wallet": Forbidden(_wallet),
    "portal:transaction": Forbidden(_transaction),
    "portal:whitelistedaddress": Forbidden(_portal_whitelisted_address),
    "portal:trading-account": Forbidden(_portal_trading_account),
    "portal:trading-order": Forbidden(_order),
    "portal:trading-position": Forbidden(_position),
    "portal:trading-deal": Forbidden(_deal),
    "affiliate:key": Forbidden(_affiliate_key),
    "affiliate:referral": Forbidden(_referral),
    "affiliate:commission": Forbidden(_commission),
    "affiliate:payout-request": Forbidden(_payout_request),
}

CONFIGURATION = "configuration shared by the whole back office, gated by the model permissions only"

EXEMPT: dict[str, Exempt] = {
    "backoffice:desk": Exempt(
        "sales desks are the staff directory: any staff member with users.view_desk reads every desk (agents "
        "pick a desk to route to); changes need users.change_desk/delete_desk",
        _pk(DeskFactory),
    ),
    "backoffice:onboarding-step": Exempt(
        f"onboarding steps are {CONFIGURATION}; the kwarg is a step name, not an object",
        lambda victim: Target({"step": "KYC"}),
    ),
    "backoffice:sales-status": Exempt(
        f"sales statuses are {CONFIGURATION} (a lookup every agent picks from)",
        lambda victim: (lambda status: Target({"pk": status.pk, "name": status.name}))(SalesStatusFactory()),
    ),
    "backoffice:lead-assignment-rule": Exempt(
        f"lead routing rules are {CONFIGURATION} (sales.*_assignmentrule, Sales Manager)",
        _pk(AssignmentRuleFactory),
    ),
    "backoffice:currency": Exempt(f"currencies are {CONFIGURATION}", _pk(lambda: CurrencyFactory(code="EUR"))),
    "backoffice:exchangerate": Exempt(f"exchange rates are {CONFIGURATION}", _pk(ExchangeRateFactory)),
    "backoffice:currencyconversion": Exempt(
        f"conversion paths are {CONFIGURATION}",
        _pk(
            lambda: CurrencyConversion.objects.create(
                source=CurrencyFactory(code="EUR"), target=CurrencyFactory(code="USD"), path="EUR>USD"
            )
        ),
    ),
    "backoffice:instrument": Exempt(
        f"trading instruments are {CONFIGURATION}", _pk(lambda: InstrumentFactory(symbol="GBPUSD"))
    ),
    "backoffice:platform": Exempt(f"trading platforms are {CONFIGURATION}", _pk(PlatformFactory)),
    "portal:trading-platform": Exempt(
        "the enabled trading platforms are the same list for every client", _pk(PlatformFactory)
    ),
    "backoffice:trading-asset": Exempt(
        f"trading assets are {CONFIGURATION}",
        _pk(lambda: trading_models.Asset.objects.create(code="XAU", name="Gold", scale=2)),
    ),
    "backoffice:market-group": Exempt(
        f"market groups are {CONFIGURATION}", _pk(lambda: trading_models.MarketGroup.objects.create(name="Metals"))
    ),
    "backoffice:session-override": Exempt(
        f"session overrides are {CONFIGURATION}",
        _pk(
            lambda: trading_models.SessionOverride.objects.create(
                instrument=InstrumentFactory(symbol="GBPUSD"), date=datetime.date(2026, 12, 25)
            )
        ),
    ),
    "backoffice:downtime": Exempt(
        f"downtimes are {CONFIGURATION}",
        _pk(
            lambda: trading_models.Downtime.objects.create(
                title="Maintenance",
                starts_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                ends_at=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
            )
        ),
    ),
    "backoffice:position-duration": Exempt(
        f"position durations are {CONFIGURATION}",
        _pk(lambda: trading_models.PositionDuration.objects.create(seconds=3600)),
    ),
    "backoffice:max-risk": Exempt(
        f"max risks are {CONFIGURATION}", _pk(lambda: trading_models.MaxRisk.objects.create(amount=Decimal(500)))
    ),
    "backoffice:platform-adapter": Exempt(
        f"platform adapters are {CONFIGURATION} (their credentials are write-only)",
        _pk(lambda: trading_models.PlatformAdapter.objects.create(name="mt4-demo", type="mt4")),
    ),
    "backoffice:commission-profile": Exempt(
        f"commission profiles are {CONFIGURATION}",
        _pk(lambda: trading_models.CommissionProfile.objects.create(name="VIP")),
    ),
    "backoffice:commission-rule": Exempt(
        f"commission rules are {CONFIGURATION}",
        _pk(
            lambda: trading_services.create_rule(
                trading_models.CommissionProfile.objects.create(name="VIP"), actor=None
            )
        ),
    ),
    "backoffice:accountgroup": Exempt(f"account groups (products) are {CONFIGURATION}", _pk(AccountGroupFactory)),
    "backoffice:paymentprovider": Exempt(f"payment providers are {CONFIGURATION}", _pk(PaymentProviderFactory)),
    "backoffice:paymentmethod": Exempt(f"payment methods are {CONFIGURATION}", _pk(PaymentMethodFactory)),
    "backoffice:paymentmethodgroup": Exempt(
        f"payment method groups are {CONFIGURATION}",
        _pk(lambda: PaymentMethodGroup.objects.create(direction="deposit", name="Cards")),
    ),
    "backoffice:webhookevent": Exempt(
        "provider callbacks as received: not owned by a client, agent or desk, readable only with "
        "payments.view_webhookevent (Finance)",
        _pk(lambda: WebhookEvent.objects.create(provider=PaymentProviderFactory(), body="{}")),
    ),
    "backoffice:emailtemplate": Exempt(
        f"email templates are {CONFIGURATION}",
        lambda victim: Target(
            {"pk": EmailTemplate.objects.get(trigger="kyc.approved").pk}, bodies={"partial_update": {"title": "x"}}
        ),
    ),
    "backoffice:commission-model": Exempt(
        f"commission plans are {CONFIGURATION} (affiliates.*_commissionmodel)", _pk(CommissionModelFactory)
    ),
    "backoffice:group-message": Exempt(
        "a group message is an announcement (subject, text, audience, recipient count) without its recipients, "
        "readable with communications.view_groupmessage; its inbox rows are scoped under backoffice:message",
        _pk(lambda: GroupMessage.objects.create(audience="all", subject="News", text="Open")),
    ),
    "backoffice:voip-provider": Exempt(
        f"VoIP providers are {CONFIGURATION} (secrets write-only); the kwarg is the provider's code",
        lambda victim: Target({"code": "voiso"}),
    ),
    "backoffice:voip-agent": Exempt(
        f"agents' VoIP ids are {CONFIGURATION} (communications.*_agentmapping, Admin)",
        lambda victim: Target(
            {"pk": voip_calls.map_agent(victim.agent, code="coperato", external_id="victim-ext", actor=None).pk}
        ),
    ),
    "portal:onboarding": Exempt(
        "the kwargs name a form step or an onboarding stage, not an object: the answer is about the caller's own "
        "client record (and the form layout is public)",
        lambda victim: Target({"step": "SignupRealForm", "stage": "BeforeDeposit"}),
    ),
    "affiliates-compat:bucket-leads": Exempt(
        "seed 003's Buckets Leads Status API: its paths, bodies and refusals are fixed by the seed (a broker API "
        "token with 'Buckets: View Own' reads any bucket; a bucket of another affiliate answers 400)",
        _bucket,
    ),
    "affiliates-compat:bucket-source-leads": Exempt("the same as affiliates-compat:bucket-leads", _bucket),
}
