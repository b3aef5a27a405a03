"""Seed 001 "Transfers — back office" writes at the seed's paths: deposit, two-step withdrawal (confirm / cancel),
idempotency by deduplicationId, four eyes, callbacks through the outbox; and opening a user's account."""

import hashlib
import hmac
import json
import time
from decimal import Decimal as D
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from crm.core import events, http
from crm.core.models import OutboxEvent
from crm.core.roles import Role
from crm.trading.services import transfers as transfer_services
from crm.wallets import selectors
from crm.wallets.models import AccountGroup, JournalEntry, Transaction, Wallet
from tests.customers.factories import CustomerFactory
from tests.users.factories import ApiTokenFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db
TRANSFERS = "/back-api/backoffice/transfers"
V1 = "application/json; x-api-version=1.0"
SEED_TRANSFER_KEYS = {"transferId", "deduplicationId", "assetId", "type", "status", "amount", "createdAt", "updatedAt"}
PUBLIC = "https://93.184.216.34/callback"


def _client(role: Role | Group) -> APIClient:
    client = APIClient()
    group = role if isinstance(role, Group) else Group.objects.get(name=str(role))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(role=group).raw_key}")
    return client


def _post(client: APIClient, path: str, body: dict):
    return client.generic("POST", f"{TRANSFERS}/{path}", data=json.dumps(body), content_type=V1)


def _body(wallet: Wallet, key: str, amount: str = "100", **extra):
    asset = wallet.currency_id
    return {"deduplicationId": key, "accountId": wallet.number, "amount": amount, "assetId": asset, **extra}


def _sound() -> bool:
    return not list(selectors.ledger_breaches())


@pytest.fixture
def finance() -> APIClient:
    return _client(Role.FINANCE)


@pytest.fixture
def wallet() -> Wallet:
    return WalletFactory()


# Deposit --------------------------------------------------------------------------------------------------


def test_deposit_credits_the_account_once_per_deduplication_id(finance, wallet):
    response = _post(finance, "deposit", _body(wallet, "dep-1", "100.5"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == SEED_TRANSFER_KEYS
    assert (body["deduplicationId"], body["type"], body["status"], D(body["amount"])) == (
        "dep-1", "Deposit", "Completed", D("100.5"),
    )  # fmt: skip
    entries = JournalEntry.objects.count()
    again = _post(finance, "deposit", _body(wallet, "dep-1", "100.5"))
    assert again.status_code == 201
    assert again.json()["transferId"] == body["transferId"]
    wallet.refresh_from_db()
    assert wallet.balance == D("100.5")
    assert JournalEntry.objects.count() == entries
    assert finance.get(f"{TRANSFERS}/{body['transferId']}").json()["status"] == "Completed"
    assert _sound()


def test_the_same_deduplication_id_with_another_body_is_refused_and_changes_nothing(finance, wallet):
    other = WalletFactory(currency=wallet.currency)
    assert _post(finance, "deposit", _body(wallet, "dep-2", "10")).status_code == 201
    before = state(wallet, other)
    for body in (
        _body(wallet, "dep-2", "11"),
        _body(other, "dep-2", "10"),
    ):
        response = _post(finance, "deposit", body)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_conflict"
    assert _post(finance, "withdrawal", _body(wallet, "dep-2", "10")).status_code == 409
    assert state(wallet, other) == before


def test_bad_deposits_are_400_or_404_and_change_nothing(finance, wallet):
    before = state(wallet)
    assert _post(finance, "deposit", _body(wallet, "x", "0")).status_code == 400
    assert _post(finance, "deposit", {**_body(wallet, "x"), "assetId": "XYZ"}).status_code == 400
    assert _post(finance, "deposit", {"accountId": wallet.number}).status_code == 400
    assert _post(finance, "deposit", {**_body(wallet, "x"), "accountId": "NOPE"}).status_code == 404
    assert state(wallet) == before


# Withdrawal: hold, confirm, cancel ------------------------------------------------------------------------


def _withdraw(client, wallet, key="wd-1", amount="40"):
    response = _post(client, "withdrawal", _body(wallet, key, amount))
    assert response.status_code == 201, response.json()
    return response.json()


def test_withdrawal_holds_then_confirm_by_another_person_pays_it_out(finance, wallet):
    fund(wallet, "100")
    body = _withdraw(finance, wallet)
    assert set(body) == SEED_TRANSFER_KEYS
    assert (body["type"], body["status"]) == ("Withdrawal", "Pending")
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (D("60"), D("40"))
    assert _withdraw(finance, wallet)["transferId"] == body["transferId"]  # replay: one hold
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (D("60"), D("40"))

    step = {"accountId": wallet.number, "transferId": body["transferId"]}
    refused = _post(finance, "withdrawal-confirm", step)  # four eyes: not who started it
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "four_eyes_required"
    checker = _client(Role.FINANCE)
    assert _post(checker, "withdrawal-confirm", step).status_code == 204
    assert Transaction.objects.get(pk=body["transferId"]).status == Transaction.Status.COMPLETED
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (D("60"), D("0"))
    assert _post(checker, "withdrawal-confirm", step).status_code == 204  # a retry changes nothing
    cancel = _post(checker, "withdrawal-cancel", step)
    assert cancel.status_code == 409
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (D("60"), D("0"))
    assert _sound()


def test_cancel_gives_the_hold_back_and_a_cancelled_withdrawal_cannot_be_confirmed(finance, wallet):
    fund(wallet, "100")
    body = _withdraw(finance, wallet)
    step = {"accountId": wallet.number, "transferId": body["transferId"]}
    assert _post(finance, "withdrawal-cancel", step).status_code == 204
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (D("100"), D("0"))
    assert finance.get(f"{TRANSFERS}/{body['transferId']}").json()["status"] == "Cancelled"
    before = state(wallet)
    response = _post(_client(Role.FINANCE), "withdrawal-confirm", step)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert state(wallet) == before
    assert _sound()


def test_withdrawal_beyond_the_balance_or_unknown_transfer_changes_nothing(finance, wallet):
    fund(wallet, "10")
    before = state(wallet)
    assert _post(finance, "withdrawal", _body(wallet, "wd-big", "11")).status_code == 400
    assert state(wallet) == before
    deposit = _post(finance, "deposit", _body(wallet, "dep-x", "1")).json()
    for transfer_id in ("999999", "abc", deposit["transferId"]):
        step = {"accountId": wallet.number, "transferId": transfer_id}
        assert _post(finance, "withdrawal-confirm", step).status_code == 404
        assert _post(finance, "withdrawal-cancel", step).status_code == 404


# Access ---------------------------------------------------------------------------------------------------


def test_only_manage_transfers_and_only_visible_clients(wallet):
    fund(wallet, "50")
    assert _post(_client(Role.SUPPORT), "deposit", _body(wallet, "a")).status_code == 403
    assert _post(APIClient(), "deposit", _body(wallet, "a")).status_code == 401
    maker = _client(Role.FINANCE)
    pending = _withdraw(maker, wallet, "wd-mine", "5")
    scoped = Group.objects.get(name=str(Role.FINANCE))  # Finance that sees only its own clients
    scoped.permissions.remove(Permission.objects.get(codename="view_all_customers"))
    outsider = _client(scoped)
    before = state(wallet)
    assert _post(outsider, "deposit", _body(wallet, "a")).status_code == 404
    assert _post(outsider, "withdrawal", _body(wallet, "b", "5")).status_code == 404
    assert state(wallet) == before
    step = {"accountId": wallet.number, "transferId": pending["transferId"]}
    assert _post(outsider, "withdrawal-cancel", step).status_code == 404
    assert _post(outsider, "withdrawal-confirm", step).status_code == 404
    assert Transaction.objects.get(pk=pending["transferId"]).status == Transaction.Status.PENDING


# Callbacks ------------------------------------------------------------------------------------------------


def test_callback_urls_must_be_public_http(finance, wallet):
    before = state(wallet)
    for url in (
        "ftp://93.184.216.34/x",
        "http://127.0.0.1/x",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://localhost/",
    ):
        response = _post(finance, "deposit", _body(wallet, "cb", callbackUrl=url))
        assert response.status_code == 400, url
        assert "callbackUrl" in response.json()["error"]["fields"]
    assert state(wallet) == before


def test_callback_is_delivered_once_after_commit_and_retried_on_failure(finance, wallet):
    fund(wallet, "100")
    body = _withdraw(finance, wallet, amount="30")
    response = _post(finance, "withdrawal-cancel", {
        "accountId": wallet.number, "transferId": body["transferId"], "callbackUrl": PUBLIC,
    })  # fmt: skip
    assert response.status_code == 204
    event = OutboxEvent.objects.get(name=transfer_services.CALLBACK_EVENT)
    ok = http.HttpResponse(status=200, body=b"")
    with mock.patch.object(http, "send", side_effect=[http.ProviderUnavailable("down"), ok, ok]) as send:
        with pytest.raises(events.HandlerFailed):
            events.dispatch_event(event.pk)
        events.dispatch_event(event.pk)
        events.dispatch_event(event.pk)  # delivered already: not sent again
    assert send.call_count == 2
    method, url = send.call_args.args
    sent = json.loads(send.call_args.kwargs["body"])
    assert (method, url, sent["event"]) == ("POST", PUBLIC, "withdrawal-cancel")
    assert set(sent["transfer"]) == SEED_TRANSFER_KEYS
    assert (sent["transfer"]["transferId"], sent["transfer"]["status"]) == (body["transferId"], "Cancelled")


def test_callbacks_are_signed_with_the_shared_secret_once_it_is_set(finance, wallet):
    from crm.core.services import set_setting

    def deliver(key: str):
        assert _post(finance, "deposit", _body(wallet, key, callbackUrl=PUBLIC)).status_code == 201
        event = OutboxEvent.objects.filter(name=transfer_services.CALLBACK_EVENT).latest("pk")
        with mock.patch.object(http, "send", return_value=http.HttpResponse(status=200, body=b"")) as send:
            events.dispatch_event(event.pk)
        return send.call_args

    unsigned = deliver("cb-plain")
    set_setting(transfer_services.CALLBACK_SECRET_SETTING, "shared-key", is_secret=True, actor=None)
    signed = deliver("cb-signed")
    assert transfer_services.SIGNATURE_HEADER not in unsigned.kwargs["headers"]
    header = signed.kwargs["headers"][transfer_services.SIGNATURE_HEADER]
    stamp, digest = (part.split("=", 1)[1] for part in header.split(","))
    raw = signed.kwargs["body"]
    expected = hmac.new(b"shared-key", stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert abs(int(stamp) - time.time()) < 60
    assert json.loads(raw)["transfer"]["deduplicationId"] == "cb-signed"


def test_a_name_resolving_to_an_internal_address_is_not_called(finance, wallet):
    body = _body(wallet, "cb-dns", callbackUrl="https://hooks.example.com/cb")
    assert _post(finance, "deposit", body).status_code == 201
    event = OutboxEvent.objects.get(name=transfer_services.CALLBACK_EVENT)
    with (
        mock.patch.object(transfer_services, "resolved_addresses", return_value=["192.168.1.4"]),
        mock.patch.object(http, "send") as send,
    ):
        events.dispatch_event(event.pk)
    assert send.call_count == 0


# Opening an account ---------------------------------------------------------------------------------------


def test_open_an_account_for_a_user():
    customer = CustomerFactory()
    wallet = WalletFactory(customer=customer)
    group = AccountGroup.objects.create(
        name="Standard", platform=wallet.platform or _platform(), currency=wallet.currency
    )
    dealer = _client(Role.DEALER)
    url = f"/back-api/backoffice/v2/users/{customer.pk}/accounts"
    body = {"accountName": "Main", "accountGroupId": str(group.pk), "accountType": "Hedging"}
    response = dealer.generic("POST", url, data=json.dumps(body), content_type=V1)
    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"accountId"}
    opened = Wallet.objects.get(number=response.json()["accountId"])
    assert (opened.customer_id, opened.group_id, opened.caption, opened.type) == (
        customer.pk, group.pk, "Main", Wallet.Type.TRADE,
    )  # fmt: skip
    spot = dealer.generic("POST", url, data=json.dumps({**body, "accountType": "Spot"}), content_type=V1)
    assert spot.status_code == 201
    wallet_opened = Wallet.objects.get(number=spot.json()["accountId"])
    assert (wallet_opened.type, wallet_opened.group_id, wallet_opened.currency_id) == (
        Wallet.Type.PERSONAL, None, group.currency_id,
    )  # fmt: skip
    listed = dealer.get(url).json()
    assert {item["accountId"]: item["accountType"] for item in listed}[opened.number] == "Hedging"
    count = Wallet.objects.count()
    unknown = json.dumps({**body, "accountGroupId": "999"})
    assert dealer.generic("POST", url, data=unknown, content_type=V1).status_code == 400
    hidden = f"/back-api/backoffice/v2/users/{customer.pk + 1000}/accounts"
    assert dealer.generic("POST", hidden, data=json.dumps(body), content_type=V1).status_code == 404
    assert _client(Role.SUPPORT).generic("POST", url, data=json.dumps(body), content_type=V1).status_code == 403
    assert Wallet.objects.count() == count


def _platform():
    from crm.wallets.models import Platform

    return Platform.objects.create(name="Built-in")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://0.0.0.0:8000/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",
        "http://api.localhost/",
        "javascript:alert(1)",
        "https:///no-host",
    ],
)
def test_internal_or_malformed_callback_urls_are_refused(url):
    with pytest.raises(ValidationError):
        transfer_services.check_callback_url(url)


def test_public_callback_urls_pass_and_are_rechecked_on_delivery():
    assert transfer_services.check_callback_url(PUBLIC) == PUBLIC
    assert transfer_services.check_callback_url("") == ""
    with (
        mock.patch.object(transfer_services, "resolved_addresses", return_value=["93.184.216.34", "fd00::1"]),
        pytest.raises(transfer_services.CallbackRefused),
    ):
        transfer_services.check_callback_target("https://hooks.example.com/cb")
    with mock.patch.object(transfer_services, "resolved_addresses", return_value=["93.184.216.34"]):
        transfer_services.check_callback_target("https://hooks.example.com/cb")
