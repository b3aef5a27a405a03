import factory
from factory.django import DjangoModelFactory

from crm.wallets.models import AccountGroup, Currency, ExchangeRate, Platform, Transaction, Wallet
from tests.customers.factories import CustomerFactory


class CurrencyFactory(DjangoModelFactory):
    class Meta:
        model = Currency
        django_get_or_create = ["code"]

    code = "USD"
    name = factory.LazyAttribute(lambda o: o.code)
    minor_units = 2


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ["name"]

    name = "NEO"
    type = Platform.Type.NEO


class AccountGroupFactory(DjangoModelFactory):
    class Meta:
        model = AccountGroup
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Group {n}")
    platform = factory.SubFactory(PlatformFactory)
    currency = factory.SubFactory(CurrencyFactory)
    leverages = [50, 100]
    default_leverage = 100


class WalletFactory(DjangoModelFactory):
    class Meta:
        model = Wallet

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"L{n:010d}")
    currency = factory.SubFactory(CurrencyFactory)
    type = Wallet.Type.PERSONAL


class ExchangeRateFactory(DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    from_currency = factory.SubFactory(CurrencyFactory, code="EUR")
    to_currency = factory.SubFactory(CurrencyFactory, code="USD")
    source = "manual"
    rate = "1.10"


class TransactionFactory(DjangoModelFactory):
    class Meta:
        model = Transaction

    wallet = factory.SubFactory(WalletFactory)
    customer = factory.SelfAttribute("wallet.customer")
    currency = factory.SelfAttribute("wallet.currency")
    type = Transaction.Type.DEPOSIT
    amount = "100.00"
