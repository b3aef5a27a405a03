"""Payments API: methods by country and type, deposits and withdrawals by method, whitelist, providers, webhooks."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.models import Setting
from crm.core.services import get_setting, set_setting
from crm.customers.models import Customer
from crm.customers.services import configure_step
from crm.payments.models import PaymentMethodCurrency, WebhookEvent
from crm.payments.tasks import process_webhook_task
from crm.wallets.models import Transaction
from tests.customers.factories import CustomerFactory
from tests.payments.factories import PaymentMethodFactory, PaymentProviderFactory, WhitelistedAddressFactory
from tests.wallets.factories import CurrencyFactory, WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db
METHODS = reverse("portal:paymentmethod-list")
DEPOSITS = reverse("portal:deposit-list")
WITHDRAWALS = reverse("portal:withdrawal-list")


def test_methods_offered_by_country_type_and_currency(portal_client, customer):
    everywhere = PaymentMethodFactory(name="Card")
    PaymentMethodFactory(name="German bank", countries=["DE"])
    PaymentMethodFactory(name="Card payout", direction="withdrawal")
    PaymentMethodFactory(name="Off", is_enabled=False)
    PaymentMethodFactory(name="Euro only", currencies=["EUR"])

    names = [row["name"] for row in portal_client.get(METHODS, {"type": "deposit", "currency": "USD"}).json()]
    missing_type = portal_client.get(METHODS)

    assert names == [everywhere.name]
    assert missing_type.status_code == 400


def test_start_deposit_returns_checkout_and_pending_transaction(portal_client, customer):
    wallet = WalletFactory(customer=customer)
    method = PaymentMethodFactory(fee_percent=Decimal("2"))

    response = portal_client.post(
        DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "100.00"}, HTTP_IDEMPOTENCY_KEY="d1"
    )
    again = portal_client.post(
        DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "100.00"}, HTTP_IDEMPOTENCY_KEY="d1"
    )

    body = response.json()
    assert response.status_code == 201
    assert body["transaction"]["status"] == "pending"
    assert body["transaction"]["fee"] == "2.00000000"
    assert "/payments/sandbox/" in body["checkout_url"]
    assert again.json()["reference"] == body["reference"]
    assert Transaction.objects.count() == 1


def test_deposit_below_method_minimum_is_a_field_error(portal_client, customer):
    wallet = WalletFactory(customer=customer)
    method = PaymentMethodFactory()
    PaymentMethodCurrency.objects.filter(method=method).update(min_amount=Decimal("50"))

    response = portal_client.post(DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "10"})

    assert response.status_code == 400
    assert "amount" in response.json()["error"]["fields"]
    assert not Transaction.objects.exists()


def test_deposit_to_another_clients_wallet_answers_404(portal_client):
    response = portal_client.post(
        DEPOSITS, {"method": PaymentMethodFactory().pk, "wallet": WalletFactory().pk, "amount": "5"}
    )

    assert response.status_code == 404


def test_method_not_offered_in_the_clients_country(portal_client, customer):
    wallet = WalletFactory(customer=customer)
    method = PaymentMethodFactory(countries=["BR"])

    response = portal_client.post(DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "5"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "method_not_offered"


def test_withdrawal_by_method_goes_on_hold_and_current_shows_it(portal_client, customer):
    wallet = fund(WalletFactory(customer=customer), "100.00")
    method = PaymentMethodFactory(direction="withdrawal", fee_fixed=Decimal("1"))

    response = portal_client.post(WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": "30"})
    current = portal_client.get(reverse("portal:withdrawal-current"))

    assert response.status_code == 201
    assert current.json()["id"] == response.json()["id"]
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (Decimal("70.00"), Decimal("30.00"))


def test_no_current_withdrawal_is_404(portal_client):
    assert portal_client.get(reverse("portal:withdrawal-current")).status_code == 404


def test_crypto_withdrawal_only_to_whitelisted_addresses(portal_client, customer):
    btc = CurrencyFactory(code="BTC", minor_units=8, kind="crypto")
    wallet = fund(WalletFactory(customer=customer, currency=btc), "1.00000000")
    method = PaymentMethodFactory(direction="withdrawal", needs_address=True, currencies=["BTC"])
    WhitelistedAddressFactory(customer=customer, currency=btc, wallet_address="bc1good")
    before = state(wallet)

    refused = portal_client.post(
        WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": "0.1", "wallet_address": "bc1evil"}
    )
    assert state(wallet) == before
    allowed = portal_client.post(
        WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": "0.1", "wallet_address": "bc1good"}
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "address_not_whitelisted"
    assert allowed.status_code == 201


def test_whitelist_only_setting_needs_an_entry(portal_client, customer):
    set_setting("payments.whitelist_only", True, value_type="boolean")
    wallet = fund(WalletFactory(customer=customer), "10.00")
    method = PaymentMethodFactory(direction="withdrawal")

    response = portal_client.post(
        WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": "1", "wallet_address": "x"}
    )

    assert response.json()["error"]["code"] == "address_not_whitelisted"


def test_client_manages_own_whitelist(portal_client, customer):
    CurrencyFactory(code="USDT", minor_units=6)
    url = reverse("portal:whitelistedaddress-list")
    other = WhitelistedAddressFactory()

    created = portal_client.post(url, {"currency": "USDT", "wallet_address": "T123"})
    listed = portal_client.get(url).json()["results"]
    gone = portal_client.delete(reverse("portal:whitelistedaddress-detail", args=[created.json()["id"]]))
    foreign = portal_client.delete(reverse("portal:whitelistedaddress-detail", args=[other.pk]))

    assert created.status_code == 201
    assert [row["wallet_address"] for row in listed] == ["T123"]
    assert gone.status_code == 204
    assert foreign.status_code == 404


def test_provider_update_stores_secrets_encrypted_and_never_returns_them(api_client, finance_officer):
    provider = PaymentProviderFactory()
    api_client.force_authenticate(finance_officer)

    response = api_client.patch(
        reverse("backoffice:paymentprovider-detail", args=[provider.pk]),
        {"enabled_countries": ["GB"], "min_deposit": "10", "key_values": [{"key": "api_key", "value": "s3cret"}]},
    )

    assert response.status_code == 200
    assert "s3cret" not in response.content.decode()
    assert response.json()["enabled_countries"] == ["GB"]
    stored = Setting.objects.get(key="payments.sandbox.api_key")
    assert stored.is_secret
    assert "s3cret" not in stored.stored_value
    assert get_setting("payments.sandbox.api_key") == "s3cret"


def test_sort_providers(api_client, finance_officer):
    first, second = PaymentProviderFactory(code="a", name="A"), PaymentProviderFactory(code="b", name="B")
    api_client.force_authenticate(finance_officer)

    response = api_client.post(
        reverse("backoffice:paymentprovider-sort"), [{"id": first.pk, "sort": 2}, {"id": second.pk, "sort": 1}]
    )

    assert [row["code"] for row in response.json()] == ["b", "a"]


def test_create_method_with_currencies(api_client, finance_officer):
    provider = PaymentProviderFactory()
    CurrencyFactory(code="USD")
    api_client.force_authenticate(finance_officer)

    response = api_client.post(
        reverse("backoffice:paymentmethod-list"),
        {
            "provider": provider.pk,
            "direction": "deposit",
            "name": "Visa",
            "currencies": [{"currency": "USD", "min_amount": "10", "max_amount": "5"}],
        },
    )

    assert response.status_code == 400
    assert "currencies" in response.json()["error"]["fields"]


def test_webhook_list_for_finance_only(api_client, finance_officer, sales_agent):
    url = reverse("backoffice:webhookevent-list")
    api_client.force_authenticate(sales_agent)
    assert api_client.get(url).status_code == 403

    api_client.force_authenticate(finance_officer)
    assert api_client.get(url).status_code == 200


def test_process_webhook_task_twice_changes_nothing(customer):
    from crm.payments import services
    from crm.payments.adapters import get_adapter

    wallet = WalletFactory(customer=customer)
    payment = services.start_deposit(
        customer, method=PaymentMethodFactory(), wallet=wallet, amount=Decimal("9"), actor=None
    )
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)

    process_webhook_task(webhook.pk)
    process_webhook_task(webhook.pk)

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("9.00")
    assert WebhookEvent.objects.get().attempts == 1


def test_other_clients_whitelist_is_not_listed_for_agents(api_client, sales_agent):
    WhitelistedAddressFactory(customer=CustomerFactory())
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:whitelistedaddress-list"))

    assert response.status_code == 403


def test_deposit_is_refused_while_a_before_deposit_step_is_pending(portal_client, customer):
    configure_step("EmailConfirmation", stage="BeforeDeposit", actor=None)
    wallet = WalletFactory(customer=customer)
    method = PaymentMethodFactory()

    refused = portal_client.post(DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "100"})
    created_while_refused = Transaction.objects.count()
    Customer.objects.filter(pk=customer.pk).update(confirmed_at=timezone.now())
    accepted = portal_client.post(DEPOSITS, {"method": method.pk, "wallet": wallet.pk, "amount": "100"})

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "onboarding_incomplete"
    assert refused.json()["error"]["fields"]["pending_steps"] == ["EmailConfirmation"]
    assert created_while_refused == 0
    assert accepted.status_code == 201


def test_withdrawal_is_refused_while_a_before_withdrawal_step_is_pending(portal_client, customer):
    configure_step("KYC", stage="BeforeWithdrawal", actor=None)
    wallet = fund(WalletFactory(customer=customer), "100")
    method = PaymentMethodFactory(direction="withdrawal")
    before = state(wallet)

    response = portal_client.post(WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": "30"})

    assert response.status_code == 403
    assert response.json()["error"]["fields"]["pending_steps"] == ["KYC"]
    assert state(wallet) == before
