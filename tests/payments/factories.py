import factory
from factory.django import DjangoModelFactory

from crm.payments.models import Direction, PaymentMethod, PaymentMethodCurrency, PaymentProvider, WhitelistedAddress
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import CurrencyFactory


class PaymentProviderFactory(DjangoModelFactory):
    class Meta:
        model = PaymentProvider
        django_get_or_create = ["code"]

    code = "sandbox"
    name = "Sandbox"
    adapter = "sandbox"


class PaymentMethodFactory(DjangoModelFactory):
    class Meta:
        model = PaymentMethod
        skip_postgeneration_save = True

    provider = factory.SubFactory(PaymentProviderFactory)
    direction = Direction.DEPOSIT
    name = factory.Sequence(lambda n: f"Card {n}")

    @factory.post_generation
    def currencies(self, create, extracted, **kwargs):
        if not create:
            return
        for code in extracted or ["USD"]:
            PaymentMethodCurrency.objects.create(method=self, currency=CurrencyFactory(code=code))


class WhitelistedAddressFactory(DjangoModelFactory):
    class Meta:
        model = WhitelistedAddress

    customer = factory.SubFactory(CustomerFactory)
    currency = factory.SubFactory(CurrencyFactory)
    wallet_address = factory.Sequence(lambda n: f"addr{n}")
