"""Seed 001 "Settings — back office v2" at its own paths (/back-api/backoffice/v2/...), through the client:
assets, internal assets, commission profile rules (priorities, dry runs) and the market category tree."""

import json
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.trading.models import Asset, CommissionProfile, CommissionRule, MarketCategory, MarketGroup
from crm.wallets.models import Transaction
from tests.trading.factories import InstrumentFactory, TradingAccountFactory
from tests.users.factories import ApiTokenFactory
from tests.wallets.factories import TransactionFactory, WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db
BASE = "/back-api/backoffice/v2"
V2 = "application/json; x-api-version=2.0"


def _client(role: Role) -> APIClient:
    client = APIClient()
    token = ApiTokenFactory(role=Group.objects.get(name=str(role)))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw_key}")
    return client


@pytest.fixture
def dealer() -> APIClient:
    return _client(Role.DEALER)


@pytest.fixture
def support() -> APIClient:
    return _client(Role.SUPPORT)


def _put(client, url, body):
    return client.generic("PUT", url, data=json.dumps(body), content_type=V2)


def _post(client, url, body=None):
    return client.generic("POST", url, data=json.dumps(body or {}), content_type=V2)


def _profile_with_rules():
    profile = CommissionProfile.objects.create(name="Standard")
    group = MarketGroup.objects.create(name="Majors")
    instrument = InstrumentFactory(symbol="EURUSD", description="Euro / US Dollar")
    default = CommissionRule.objects.create(profile=profile, priority=1, spot_fee_size=D("0.1"))
    grouped = CommissionRule.objects.create(profile=profile, priority=2, market_group=group)
    return profile, group, instrument, default, grouped


FEES = {
    "spot": {"type": "Percent", "size": "0.05"},
    "cfd": {"assetId": "USD", "type": "PerLot", "size": "3.5"},
    "minFeeRAT": "1",
}


# Authentication and operations ----------------------------------------------------------------------------


def test_no_token_is_401_and_an_unknown_token_too():
    assert APIClient().get(f"{BASE}/assets/list").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get(f"{BASE}/assets/list")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_refused"


def test_the_back_office_token_form_is_accepted_too():
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.DEALER)))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.raw_key}")
    assert client.get(f"{BASE}/assets/list").status_code == 200


def test_a_role_without_the_operation_is_refused(support):
    profile, *_ = _profile_with_rules()
    assert support.get(f"{BASE}/commission-profiles/{profile.pk}/rules").status_code == 200  # view-commission-rules
    response = support.delete(f"{BASE}/commission-profiles/{profile.pk}/rules/{profile.rules.last().pk}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert (
        _post(support, f"{BASE}/internal-assets", {"id": "X", "name": "X", "scale": 2, "type": "Fiat"}).status_code
        == 403
    )
    assert _put(support, f"{BASE}/markets-categories", {"categories": []}).status_code == 403
    assert profile.rules.count() == 2


# Assets -----------------------------------------------------------------------------------------------------


def test_assets_list_in_the_seed_shape(dealer, django_assert_num_queries):
    Asset.objects.create(code="BTC", name="Bitcoin", scale=8, type=Asset.Type.CRYPTO, source=Asset.Source.EXTERNAL)
    Asset.objects.create(code="USD", name="US Dollar", scale=2)
    with django_assert_num_queries(4):  # the token (found, last use), its permissions (1), the assets
        response = dealer.get(f"{BASE}/assets/list")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "Bitcoin", "id": "BTC", "scale": 8, "type": "Crypto", "source": "External"},
        {"name": "US Dollar", "id": "USD", "scale": 2, "type": "Fiat", "source": "Internal"},
    ]


def test_internal_asset_create_and_update(dealer):
    response = _post(
        dealer, f"{BASE}/internal-assets", {"id": "GOLD", "name": "Gold", "scale": 3, "type": "Commodity"}
    )
    assert response.status_code == 201
    assert response.json() == {"id": "GOLD", "name": "Gold", "scale": 3, "source": "Internal", "type": "Commodity"}

    response = _put(dealer, f"{BASE}/internal-assets/GOLD", {"name": "Gold spot", "scale": 2, "type": "Commodity"})
    assert response.status_code == 204
    assert Asset.objects.values_list("name", "scale").get(code="GOLD") == ("Gold spot", 2)
    assert _put(dealer, f"{BASE}/internal-assets/NOPE", {"name": "x", "scale": 2, "type": "Fiat"}).status_code == 404


def test_internal_asset_bad_input_is_400_with_fields(dealer):
    Asset.objects.create(code="USD", name="US Dollar")
    response = _post(dealer, f"{BASE}/internal-assets", {"id": "USD", "name": "", "scale": 40, "type": "Unspecified"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"id", "name", "scale", "type"}
    assert Asset.objects.count() == 1


# Commission rules -------------------------------------------------------------------------------------------


def test_rules_list_in_the_seed_shape(dealer, django_assert_num_queries):
    profile, group, instrument, default, grouped = _profile_with_rules()
    CommissionRule.objects.create(profile=profile, priority=3, instrument=instrument)
    with django_assert_num_queries(5):  # the token (2), its permissions (1), the profile, the rules
        response = dealer.get(f"{BASE}/commission-profiles/{profile.pk}/rules")
    assert response.status_code == 200
    body = response.json()
    assert [rule["commissionProfileRuleId"] for rule in body[:2]] == [str(default.pk), str(grouped.pk)]
    assert body[0] == {
        "commissionProfileRuleId": str(default.pk),
        "priority": 1,
        "isDefault": True,
        "feeSettings": {
            "spot": {"type": "Percent", "size": "0.1000000000"},
            "cfd": {"assetId": None, "type": "PerLot", "size": "0.0000000000"},
            "minFeeRAT": "0.0000000000",
        },
        "marketId": None,
        "marketName": None,
        "marketGroupId": None,
        "marketGroupName": None,
        "commissionProfileId": str(profile.pk),
        "commissionProfileName": "Standard",
    }
    assert (body[1]["marketGroupId"], body[1]["marketGroupName"]) == (str(group.pk), "Majors")
    assert (body[2]["marketId"], body[2]["marketName"]) == ("EURUSD", "Euro / US Dollar")
    assert dealer.get(f"{BASE}/commission-profiles/999999/rules").status_code == 404


def test_create_a_rule_at_a_priority_re_sequences_the_others(dealer):
    Asset.objects.create(code="USD", name="US Dollar")
    profile, _group, instrument, default, grouped = _profile_with_rules()
    body = {
        "commissionProfileRule": {"marketId": "EURUSD", "marketGroupId": None, "feeSettings": FEES, "priority": 1},
        "priorities": [{"commissionProfileRuleId": str(grouped.pk), "priority": 2}],
    }
    response = _post(dealer, f"{BASE}/commission-profiles/{profile.pk}/rules", body)
    assert response.status_code == 201
    rule = CommissionRule.objects.get(pk=int(response.json()["id"]))
    assert (rule.instrument, rule.cfd_fee_asset.code, rule.cfd_fee_size, rule.min_fee) == (
        instrument, "USD", D("3.5"), D(1)
    )  # fmt: skip
    assert list(profile.rules.order_by("priority").values_list("pk", flat=True)) == [rule.pk, grouped.pk, default.pk]


def test_create_bad_input_is_400_with_fields_and_nothing_changes(dealer):
    profile, *_ = _profile_with_rules()
    body = {"commissionProfileRule": {"marketId": "NOPE", "feeSettings": {**FEES, "minFeeRAT": "-1"}}}
    response = _post(dealer, f"{BASE}/commission-profiles/{profile.pk}/rules", body)
    assert response.status_code == 400
    assert "commissionProfileRule.feeSettings.minFeeRAT" in response.json()["error"]["fields"]
    body = {
        "commissionProfileRule": {"marketId": "NOPE", "feeSettings": {**FEES, "cfd": {**FEES["cfd"], "assetId": None}}}
    }
    response = _post(dealer, f"{BASE}/commission-profiles/{profile.pk}/rules", body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"commissionProfileRule.marketId": ["Unknown market."]}
    body = {"commissionProfileRule": {"feeSettings": {**FEES, "cfd": {**FEES["cfd"], "assetId": None}}}}
    response = _post(dealer, f"{BASE}/commission-profiles/{profile.pk}/rules", body)  # a second default rule
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_rule_scope"
    assert profile.rules.count() == 2


def test_update_delete_and_bulk_priorities(dealer):
    profile, _group, instrument, default, grouped = _profile_with_rules()
    url = f"{BASE}/commission-profiles/{profile.pk}/rules"
    body = {
        "commissionProfileRule": {
            "marketId": "EURUSD",
            "feeSettings": {**FEES, "cfd": {**FEES["cfd"], "assetId": None}},
        },
        "priorities": [{"commissionProfileRuleId": str(grouped.pk), "priority": 1}],
    }
    assert _put(dealer, f"{url}/{grouped.pk}", body).status_code == 204
    grouped.refresh_from_db()
    assert (grouped.instrument, grouped.market_group, grouped.priority) == (instrument, None, 1)

    response = _put(dealer, f"{url}/priorities", [{"commissionProfileRuleId": str(default.pk), "priority": 1}])
    assert response.status_code == 204
    assert list(profile.rules.order_by("priority").values_list("pk", flat=True)) == [default.pk, grouped.pk]
    bad = _put(dealer, f"{url}/priorities", [{"commissionProfileRuleId": "abc", "priority": 0}])
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"0.commissionProfileRuleId", "0.priority"}

    assert dealer.delete(f"{url}/{grouped.pk}").status_code == 204
    assert list(profile.rules.values_list("pk", "priority")) == [(default.pk, 1)]
    assert dealer.delete(f"{url}/{grouped.pk}").status_code == 404


def test_validate_update_and_delete_are_dry_runs(dealer):
    profile, group, _instrument, _default, grouped = _profile_with_rules()
    url = f"{BASE}/commission-profiles/{profile.pk}/rules"
    ok = _post(dealer, f"{url}/{grouped.pk}/validate-update", {"commissionProfileRule": {"marketId": "EURUSD"}})
    assert (ok.status_code, ok.json()) == (200, {})
    clash = _post(dealer, f"{url}/{grouped.pk}/validate-update", {"commissionProfileRule": {"marketId": None}})
    assert clash.status_code == 400
    assert "marketId" in clash.json()["error"]["fields"]
    grouped.refresh_from_db()
    assert grouped.market_group == group

    response = _post(dealer, f"{url}/{grouped.pk}/validate-delete")
    assert (response.status_code, response.json()) == (200, {})
    assert profile.rules.count() == 2


# Markets ----------------------------------------------------------------------------------------------------


def test_markets_list_in_the_seed_shape(dealer, django_assert_num_queries):
    InstrumentFactory(symbol="EURUSD", description="Euro / US Dollar", sort_order=2)
    InstrumentFactory(symbol="BTCUSD", description="Bitcoin / US Dollar", sort_order=1)
    with django_assert_num_queries(4):  # the token (2), its permissions (1), the markets
        response = dealer.get(f"{BASE}/markets")
    assert response.status_code == 200
    assert response.json() == [
        {"marketId": "BTCUSD", "displayName": "BTCUSD", "fullName": "Bitcoin / US Dollar"},
        {"marketId": "EURUSD", "displayName": "EURUSD", "fullName": "Euro / US Dollar"},
    ]
    assert _client(Role.AFFILIATE_MANAGER).get(f"{BASE}/markets").status_code == 403


# Market category tree ---------------------------------------------------------------------------------------


def test_category_tree_put_and_get(dealer):
    InstrumentFactory(symbol="EURUSD", description="Euro / US Dollar")
    InstrumentFactory(symbol="BTCUSD", description="Bitcoin / US Dollar")
    body = {
        "categories": [
            {"name": "FX", "markets": ["EURUSD"], "categories": [{"name": "Crypto", "markets": ["BTCUSD"]}]},
        ]
    }
    response = _put(dealer, f"{BASE}/markets-categories", body)
    assert response.status_code == 200
    fx = MarketCategory.objects.get(name="FX")
    crypto = MarketCategory.objects.get(name="Crypto")
    expected = {
        "categories": [
            {
                "id": str(fx.pk),
                "name": "FX",
                "markets": [{"id": "EURUSD", "displayName": "EURUSD", "fullName": "Euro / US Dollar"}],
                "categories": [
                    {
                        "id": str(crypto.pk),
                        "name": "Crypto",
                        "markets": [{"id": "BTCUSD", "displayName": "BTCUSD", "fullName": "Bitcoin / US Dollar"}],
                        "categories": [],
                    }
                ],
            }
        ]
    }
    assert response.json() == expected
    assert dealer.get(f"{BASE}/markets-categories").json() == expected

    bad = _put(
        dealer, f"{BASE}/markets-categories", {"categories": [{"id": str(fx.pk), "name": "FX", "markets": ["NOPE"]}]}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"categories.0.markets": ["Unknown markets: NOPE."]}
    assert MarketCategory.objects.count() == 2


# A user's accounts ------------------------------------------------------------------------------------------


def test_a_users_accounts_with_balances(dealer, django_assert_num_queries):
    account = TradingAccountFactory(caption="Main")
    customer = account.customer
    wallet = WalletFactory(customer=customer, currency=account.currency)
    fund(account, "150.25")
    WalletFactory()  # another client's
    url = f"{BASE}/users/{customer.pk}/accounts"
    with django_assert_num_queries(6):  # the token (2), its permissions (1), the client, the accounts, their holdings
        response = dealer.get(url)
    assert response.status_code == 200
    assert response.json() == [
        {
            "accountId": account.number,
            "accountName": "Main",
            "accountType": "Hedging",
            "balances": [{"assetId": "USD", "locked": "0.00000000", "total": "150.25000000"}],
        },
        {
            "accountId": wallet.number,
            "accountName": wallet.number,
            "accountType": "Spot",
            "balances": [{"assetId": "USD", "locked": "0.00000000", "total": "0.00000000"}],
        },
    ]
    one = dealer.get(f"{url}/{account.number}")
    assert (one.status_code, one.json()["accountId"]) == (200, account.number)
    assert dealer.get(f"{url}/NOPE").status_code == 404
    assert dealer.get(f"{BASE}/users/999999/accounts").status_code == 404


def test_a_users_accounts_are_scoped_and_need_the_permissions():
    account = TradingAccountFactory()
    url = f"{BASE}/users/{account.customer_id}/accounts"
    agent = _client(Role.SALES_AGENT)  # may read accounts, but not this client's: not their client
    assert agent.get(url).json() == {"error": {"code": "not_found", "message": "Not found."}}
    affiliate_manager = _client(Role.AFFILIATE_MANAGER)  # no trading permissions: not view-common
    assert affiliate_manager.get(url).status_code == 403


# Transfers (reads) ------------------------------------------------------------------------------------------

TRANSFERS = "/back-api/backoffice/transfers"


def test_a_transfer_and_an_accounts_transfers_in_the_seed_shape(django_assert_num_queries):
    finance = _client(Role.FINANCE)
    wallet = WalletFactory()
    deposit = TransactionFactory(wallet=wallet, amount="100.50", request_key="dedup-1", status="completed")
    withdrawal = TransactionFactory(wallet=wallet, type=Transaction.Type.WITHDRAWAL, amount="20", status="pending")
    TransactionFactory(wallet=wallet, type=Transaction.Type.BONUS)  # not a transfer
    TransactionFactory()  # another account's
    response = finance.get(f"{TRANSFERS}/{deposit.pk}")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("transferId", "deduplicationId", "assetId", "type", "status", "amount")} == {
        "transferId": str(deposit.pk),
        "deduplicationId": "dedup-1",
        "assetId": wallet.currency_id,
        "type": "Deposit",
        "status": "Completed",
        "amount": "100.50000000",
    }
    assert {"createdAt", "updatedAt"} <= set(body)

    with django_assert_num_queries(
        4
    ):  # the token and its permissions, the account, its transfers: whatever their count
        listed = finance.get(f"{TRANSFERS}/accounts/{wallet.number}")
    assert listed.status_code == 200
    assert {(item["transferId"], item["type"], item["status"]) for item in listed.json()} == {
        (str(deposit.pk), "Deposit", "Completed"),
        (str(withdrawal.pk), "Withdrawal", "Pending"),
    }
    assert finance.get(f"{TRANSFERS}/accounts/NOPE").status_code == 404
    bonus = Transaction.objects.get(type=Transaction.Type.BONUS)
    assert finance.get(f"{TRANSFERS}/{bonus.pk}").status_code == 404


def test_transfers_are_scoped_and_need_the_permissions():
    deposit = TransactionFactory()
    agent = _client(Role.SALES_AGENT)  # may read money, but not this client's: not their client
    assert agent.get(f"{TRANSFERS}/{deposit.pk}").status_code == 404
    assert agent.get(f"{TRANSFERS}/accounts/{deposit.wallet.number}").status_code == 404
    assert APIClient().get(f"{TRANSFERS}/{deposit.pk}").status_code == 401
