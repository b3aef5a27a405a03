"""The data and the callers the schema fuzzer works with.

The fuzzer's requests run on a live server in other threads, so this data is committed to the test
database (not rolled back): `build_world()` makes it once per fuzz run, and `fresh_credentials()` gives
each operation new credentials, because a fuzzed log-out, password change or key revocation may end
the previous ones.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group

from crm.affiliates import services as affiliate_services
from crm.affiliates.models import Affiliate
from crm.core.models import Setting
from crm.core.roles import Role
from crm.customers.models import Customer
from crm.trading import services as trading_services
from crm.users import security
from tests.affiliates.api_factories import portal_affiliate
from tests.affiliates.factories import CommissionLedgerFactory, ReferralNoteFactory, referral_of
from tests.core.factories import ActivityFactory, ExportJobFactory
from tests.customers.factories import CommentFactory, CustomerFactory, DocumentFactory, PortalCustomerFactory
from tests.payments.factories import PaymentMethodFactory, PaymentProviderFactory
from tests.sales.factories import DeskFactory, LeadCommentFactory, LeadFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory
from tests.trading.factories import quote as trading_quote
from tests.users.factories import ApiTokenFactory, StaffUserFactory
from tests.wallets.factories import CurrencyFactory, ExchangeRateFactory, TransactionFactory, WalletFactory
from tests.wallets.helpers import fund

# Rows the data migrations create; a transactional test that ran earlier in the session flushed them.
DATA_MIGRATIONS = ["crm.customers.migrations.0003_client_roles", "crm.customers.migrations.0006_onboarding_defaults"]


@dataclass
class World:
    staff: object
    client: object
    affiliate: object
    trading_account: str = ""  # the client's trading account number, for the 001 trader API's accountId header
    settings: list = field(default_factory=list)


def restore_migration_rows() -> None:
    importlib.import_module(DATA_MIGRATIONS[0]).create_roles(apps, None)
    importlib.import_module(DATA_MIGRATIONS[1]).create_rows(apps, None)


def build_world() -> World:
    """A small broker: staff, clients with wallets and money, leads, documents, an affiliate tree."""
    restore_migration_rows()
    usd = CurrencyFactory(code="USD")
    eur = CurrencyFactory(code="EUR")
    ExchangeRateFactory(from_currency=eur, to_currency=usd, rate=Decimal("1.1"))

    staff = StaffUserFactory(roles=[Role.ADMIN])
    agent = StaffUserFactory(roles=[Role.SALES_AGENT])
    desk = DeskFactory(members=[agent])

    client = PortalCustomerFactory(conversion_agent=agent)
    wallet = WalletFactory(customer=client, currency=usd)
    fund(wallet, "1000.00")
    WalletFactory(customer=client, currency=eur)
    TransactionFactory(wallet=wallet)
    DocumentFactory(customer=client)
    CommentFactory(customer=client, author=staff)
    for customer in CustomerFactory.create_batch(3, conversion_agent=agent):
        WalletFactory(customer=customer, currency=usd)

    lead = LeadFactory(sales_person=agent, desk=desk)
    LeadCommentFactory(lead=lead, author=agent)
    ActivityFactory()
    ExportJobFactory(owner=staff)

    provider = PaymentProviderFactory()
    PaymentMethodFactory(provider=provider)

    affiliate = portal_affiliate()
    referral = referral_of(affiliate)
    ReferralNoteFactory(affiliate=affiliate, customer=referral)
    CommissionLedgerFactory(introducer=affiliate, referral=referral)

    account = fund(TradingAccountFactory(customer=client, currency=usd), "10000.00")
    eurusd = InstrumentFactory(symbol="EURUSD")
    trading_quote(eurusd, "1.10000", "1.10020")
    trading_services.place_order(account, instrument=eurusd, side="buy", lots=Decimal("0.10"))
    trading_services.place_order(
        account, instrument=eurusd, side="buy", lots=Decimal("0.10"), order_type="limit", price=Decimal("1.05")
    )

    return World(
        staff=staff,
        client=client,
        affiliate=affiliate,
        trading_account=account.number,
        settings=list(Setting.objects.values()),
    )


def start_operation(world: World) -> dict[str, dict[str, str]]:
    """Put back what an earlier operation's fuzzing may have changed and would skew this one (the settings
    store: a fuzzed provider configuration would send the portal to an unreachable SumSub; the callers'
    statuses), then issue new credentials.

    Returns headers per caller kind: a staff API token (Admin role), a client JWT (with their trading account
    in `accountId` for the 001 trader API), an affiliate's JWT and partner key, and none."""
    Setting.objects.all().delete()
    Setting.objects.bulk_create(Setting(**row) for row in world.settings)
    Customer.objects.filter(pk__in=[world.client.pk, world.affiliate.customer_id]).update(
        status=Customer.Status.ACTIVE
    )
    Affiliate.objects.filter(pk=world.affiliate.pk).update(status=Affiliate.Status.ACTIVE)
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.ADMIN)))
    client_access = security.issue_tokens(world.client.user)["access"]
    affiliate_access = security.issue_tokens(world.affiliate.customer.user)["access"]
    _, affiliate_key = affiliate_services.create_api_key(world.affiliate, actor=None)
    return {
        "staff": {"Authorization": f"Token {token.raw_key}"},
        "client": {"Authorization": f"Bearer {client_access}"},
        "trader": {"Authorization": f"Bearer {client_access}", "accountId": world.trading_account},
        "affiliate": {"Authorization": f"Bearer {affiliate_access}"},
        "affiliate_key": {"X-Affiliate-Key": affiliate_key},
        "anonymous": {},
    }
