"""Trading configuration: assets, market groups, category tree, session overrides, commission profiles and rules
(re-sequencing, bulk priorities, dry runs), downtimes (orders refused), position durations, max risks, adapters."""

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.core.roles import Role
from crm.trading import selectors, services
from crm.trading.exceptions import InDowntime, MarketClosed
from crm.trading.models import (
    Asset,
    CommissionProfile,
    CommissionRule,
    Downtime,
    MarketCategory,
    MarketGroup,
    MaxRisk,
    PlatformAdapter,
    PositionDuration,
    SessionOverride,
)
from tests.conftest import staff_with_role
from tests.trading.factories import GroupTradingSettingsFactory, InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer():
    return staff_with_role(Role.DEALER)


@pytest.fixture
def client_of(api_client, dealer):
    api_client.force_authenticate(dealer)
    return api_client


def rules_of(profile):
    return list(profile.rules.order_by("priority").values_list("pk", "priority"))


def make_rules(profile, count):
    return [
        services.create_rule(profile, actor=None, instrument=InstrumentFactory(symbol=f"SYM{index}"))
        for index in range(count)
    ]


# Commission rules ------------------------------------------------------------------------------------------------


def test_a_rule_created_at_a_priority_moves_the_others_down():
    profile = CommissionProfile.objects.create(name="Retail")
    first, second = make_rules(profile, 2)

    new = services.create_rule(profile, actor=None, priority=1, cfd_fee_size=D("3"))

    assert rules_of(profile) == [(new.pk, 1), (first.pk, 2), (second.pk, 3)]
    assert new.is_default


def test_explicit_priorities_reorder_and_deleting_closes_the_gap():
    profile = CommissionProfile.objects.create(name="Retail")
    a, b, c = make_rules(profile, 3)

    services.set_rule_priorities(profile, [{"commissionProfileRuleId": c.pk, "priority": 1}], actor=None)
    assert rules_of(profile) == [(c.pk, 1), (a.pk, 2), (b.pk, 3)]

    services.delete_rule(a, actor=None)
    assert rules_of(profile) == [(c.pk, 1), (b.pk, 2)]


def test_priorities_naming_a_foreign_rule_change_nothing():
    profile = CommissionProfile.objects.create(name="Retail")
    a, b = make_rules(profile, 2)
    other = make_rules(CommissionProfile.objects.create(name="Pro"), 1)[0]

    with pytest.raises(DomainError):
        services.set_rule_priorities(profile, [{"commissionProfileRuleId": other.pk, "priority": 1}], actor=None)
    assert rules_of(profile) == [(a.pk, 1), (b.pk, 2)]


def test_a_rule_moved_down_lands_at_the_priority_asked():
    profile = CommissionProfile.objects.create(name="Retail")
    a, b, c = make_rules(profile, 3)

    services.set_rule_priorities(profile, [{"commissionProfileRuleId": a.pk, "priority": 3}], actor=None)

    assert rules_of(profile) == [(b.pk, 1), (c.pk, 2), (a.pk, 3)]


def ask(*pairs):
    return [{"commissionProfileRuleId": rule.pk, "priority": priority} for rule, priority in pairs]


@pytest.mark.parametrize("reverse_request", [False, True])
def test_rules_asking_for_the_same_priority_keep_their_current_order_from_there(reverse_request):
    profile = CommissionProfile.objects.create(name="Retail")
    a, b, c, d = make_rules(profile, 4)
    request = ask((d, 2), (b, 2))

    services.set_rule_priorities(profile, request[::-1] if reverse_request else request, actor=None)

    # b was before d, so b takes 2 and d the next free priority; the others fill the rest in their order
    assert rules_of(profile) == [(a.pk, 1), (b.pk, 2), (d.pk, 3), (c.pk, 4)]


def test_priorities_past_the_end_go_last_and_ties_at_the_end_keep_their_order():
    profile = CommissionProfile.objects.create(name="Retail")
    a, b, c = make_rules(profile, 3)

    services.set_rule_priorities(profile, ask((b, 9), (a, 9)), actor=None)

    assert rules_of(profile) == [(c.pk, 1), (a.pk, 2), (b.pk, 3)]


def test_a_second_rule_for_a_market_is_refused_and_validate_update_says_so():
    profile = CommissionProfile.objects.create(name="Retail")
    eurusd = InstrumentFactory(symbol="EURUSD")
    services.create_rule(profile, actor=None, instrument=eurusd)
    other = services.create_rule(profile, actor=None, instrument=InstrumentFactory(symbol="GBPUSD"))

    with pytest.raises(DomainError) as refused:
        services.create_rule(profile, actor=None, instrument=eurusd)
    with pytest.raises(DomainError):
        services.validate_rule_scope(other, instrument=eurusd, market_group=None)

    assert refused.value.code == "invalid_rule_scope"
    assert profile.rules.count() == 2


def test_the_matching_rule_is_the_first_by_priority():
    profile = CommissionProfile.objects.create(name="Retail")
    majors = MarketGroup.objects.create(name="Majors")
    eurusd = InstrumentFactory(symbol="EURUSD", market_group=majors)
    default = services.create_rule(profile, actor=None, cfd_fee_size=D("1"))
    group_rule = services.create_rule(profile, actor=None, market_group=majors, priority=1)

    assert services.matching_rule(profile, eurusd) == group_rule
    assert services.matching_rule(profile, InstrumentFactory(symbol="XAUUSD")) == default


def test_the_default_rule_of_a_profile_in_use_cannot_be_deleted():
    profile = CommissionProfile.objects.create(name="Retail")
    default = services.create_rule(profile, actor=None)
    GroupTradingSettingsFactory(commission_profile=profile)

    with pytest.raises(DomainError):
        services.validate_rule_delete(default)
    with pytest.raises(DomainError):
        services.delete_rule(default, actor=None)
    assert CommissionRule.objects.filter(pk=default.pk).exists()


def test_rules_through_the_api(client_of):
    profile = CommissionProfile.objects.create(name="Retail")
    a, b = make_rules(profile, 2)
    eurusd = InstrumentFactory(symbol="EURUSD")

    created = client_of.post(
        reverse("backoffice:commission-rule-list"),
        {"profile": profile.pk, "instrument": eurusd.pk, "cfd_fee_type": "PerLot", "cfd_fee_size": "7", "priority": 2},
        format="json",
    )
    reorder = client_of.put(
        reverse("backoffice:commission-profile-priorities", args=[profile.pk]),
        [{"rule": b.pk, "priority": 1}],
        format="json",
    )
    dry_run = client_of.post(
        reverse("backoffice:commission-rule-validate-update", args=[b.pk]),
        {"instrument": eurusd.pk, "market_group": None},
        format="json",
    )
    dry_delete = client_of.post(reverse("backoffice:commission-rule-validate-delete", args=[b.pk]))
    listed = client_of.get(reverse("backoffice:commission-rule-list"), {"profile": profile.pk}).json()

    assert created.status_code == 201, created.json()
    assert created.json()["priority"] == 2
    assert reorder.status_code == 204
    assert dry_run.status_code == 400
    assert dry_delete.status_code == 200
    assert [(row["id"], row["priority"]) for row in listed["results"]] == [
        (b.pk, 1),
        (a.pk, 2),
        (created.json()["id"], 3),
    ]


# Category tree ---------------------------------------------------------------------------------------------------


def test_the_category_tree_is_replaced_whole(client_of):
    eurusd, btcusd = InstrumentFactory(symbol="EURUSD"), InstrumentFactory(symbol="BTCUSD")
    kept = MarketCategory.objects.create(name="FX")
    dropped = MarketCategory.objects.create(name="Old")
    url = reverse("backoffice:market-category-tree")

    response = client_of.put(
        url,
        {
            "categories": [
                {"id": kept.pk, "name": "Forex", "markets": [eurusd.pk]},
                {"name": "Crypto", "categories": [{"name": "Coins", "markets": [btcusd.pk]}]},
            ]
        },
        format="json",
    )
    read = client_of.get(url).json()

    assert response.status_code == 200
    assert read == response.json()
    assert [node["name"] for node in read["categories"]] == ["Forex", "Crypto"]
    assert read["categories"][0]["id"] == kept.pk
    assert read["categories"][0]["markets"][0]["symbol"] == "EURUSD"
    assert read["categories"][1]["categories"][0]["markets"][0]["symbol"] == "BTCUSD"
    assert not MarketCategory.objects.filter(pk=dropped.pk).exists()


def test_an_unknown_market_refuses_the_whole_tree(client_of):
    kept = MarketCategory.objects.create(name="FX")

    response = client_of.put(
        reverse("backoffice:market-category-tree"),
        {"categories": [{"id": kept.pk, "name": "Renamed"}, {"name": "Bad", "markets": [999999]}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_tree"
    assert list(MarketCategory.objects.values_list("name", flat=True)) == ["FX"]


# Downtimes and sessions ------------------------------------------------------------------------------------------


def test_orders_are_refused_in_a_downtime_and_accepted_after(client_of):
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(), "5000.00")
    now = timezone.now()
    created = client_of.post(
        reverse("backoffice:downtime-list"),
        {"title": "Maintenance", "starts_at": (now - dt.timedelta(minutes=5)).isoformat(),
         "ends_at": (now + dt.timedelta(minutes=5)).isoformat(), "symbols": ["EURUSD"]},
        format="json",
    )  # fmt: skip
    before = state(account)

    with pytest.raises(InDowntime):
        services.place_order(account, instrument=eurusd, side="buy", lots=D("0.1"))
    assert state(account) == before

    Downtime.objects.filter(pk=created.json()["id"]).update(ends_at=now - dt.timedelta(seconds=1))
    assert services.place_order(account, instrument=eurusd, side="buy", lots=D("0.1")).position is not None
    assert created.status_code == 201
    assert created.json()["symbols"] == ["EURUSD"]


def test_a_downtime_ending_before_it_starts_is_a_field_error(client_of):
    InstrumentFactory(symbol="EURUSD")
    now = timezone.now()

    response = client_of.post(
        reverse("backoffice:downtime-list"),
        {"title": "X", "starts_at": now.isoformat(), "ends_at": now.isoformat(), "symbols": ["EURUSD"]},
        format="json",
    )

    assert response.status_code == 400
    assert "ends_at" in response.json()["error"]["fields"]


def test_a_dated_override_replaces_the_weekly_sessions():
    always = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    eurusd = InstrumentFactory(symbol="EURUSD", sessions=always)
    holiday = dt.datetime(2026, 12, 25, 12, tzinfo=dt.UTC)
    SessionOverride.objects.create(instrument=eurusd, date=holiday.date(), sessions=[])
    short = dt.datetime(2026, 12, 24, 15, tzinfo=dt.UTC)
    SessionOverride.objects.create(instrument=eurusd, date=short.date(), sessions=[["00:00", "14:00"]])

    assert not selectors.is_session_open(eurusd, holiday)
    assert not selectors.is_session_open(eurusd, short)
    assert selectors.is_session_open(eurusd, short.replace(hour=13))
    assert selectors.is_session_open(eurusd, holiday + dt.timedelta(days=1))


def test_a_closed_override_refuses_orders_today():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    SessionOverride.objects.create(instrument=eurusd, date=timezone.now().astimezone(dt.UTC).date(), sessions=[])
    account = fund(TradingAccountFactory(), "5000.00")

    with pytest.raises(MarketClosed):
        services.place_order(account, instrument=eurusd, side="buy", lots=D("0.1"))


def test_a_constant_leverage_ignores_the_accounts():
    eurusd = InstrumentFactory(symbol="EURUSD", max_leverage=20, is_const_leverage=True)
    account = TradingAccountFactory(leverage=10)

    assert selectors.leverage_of(account, eurusd) == D(20)


# Simple configuration through the API ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("trading-asset", {"code": "BTC", "name": "Bitcoin", "scale": 8, "type": "Crypto"}),
        ("market-group", {"name": "Majors"}),
        ("position-duration", {"seconds": 60, "is_default": True}),
        ("max-risk", {"amount": "100.00", "is_default": True}),
        ("commission-profile", {"name": "Retail"}),
    ],
)
def test_configuration_crud(client_of, name, body):
    created = client_of.post(reverse(f"backoffice:{name}-list"), body, format="json")
    pk = created.json()["id"]
    listed = client_of.get(reverse(f"backoffice:{name}-list")).json()
    deleted = client_of.delete(reverse(f"backoffice:{name}-detail", args=[pk]))

    assert created.status_code == 201, created.json()
    assert [row["id"] for row in listed["results"]] == [pk]
    assert deleted.status_code == 204


def test_an_internal_asset_is_marked_internal_and_codes_are_unique(client_of):
    url = reverse("backoffice:trading-asset-list")
    first = client_of.post(url, {"code": "EUR", "name": "Euro", "scale": 2, "type": "Fiat"}, format="json")
    again = client_of.post(url, {"code": "EUR", "name": "Euro", "scale": 2, "type": "Fiat"}, format="json")

    assert first.json()["source"] == "Internal"
    assert again.status_code == 400
    assert "code" in again.json()["error"]["fields"]


def test_one_default_duration_and_max_risk():
    one = services.save_position_duration(PositionDuration(), actor=None, seconds=60, is_default=True)
    two = services.save_position_duration(PositionDuration(), actor=None, seconds=300, is_default=True)
    services.save_max_risk(MaxRisk(), actor=None, amount=D(10), is_default=True)
    services.save_max_risk(MaxRisk(), actor=None, amount=D(50), is_default=True)

    one.refresh_from_db()
    assert (one.is_default, two.is_default) == (False, True)
    assert list(MaxRisk.objects.filter(is_default=True).values_list("amount", flat=True)) == [D(50)]


def test_an_asset_used_by_a_market_cannot_be_deleted(client_of):
    btc = Asset.objects.create(code="BTC", name="Bitcoin", scale=8, type="Crypto")
    InstrumentFactory(symbol="BTCUSD", base_asset=btc)

    response = client_of.delete(reverse("backoffice:trading-asset-detail", args=[btc.pk]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"


def test_adapter_secrets_are_encrypted_and_never_returned(client_of):
    url = reverse("backoffice:platform-adapter-list")
    created = client_of.post(
        url,
        {"name": "mt5-live", "type": "mt5", "configuration": {"server": "mt5.example.com:443"},
         "secrets": {"password": "s3cret"}},
        format="json",
    )  # fmt: skip
    adapter = PlatformAdapter.objects.get()
    shown = client_of.get(reverse("backoffice:platform-adapter-detail", args=[adapter.pk])).json()
    trading_only = client_of.get(url, {"only_trading": "true"}).json()

    assert created.status_code == 201
    assert "s3cret" not in json.dumps(created.json()) + json.dumps(shown)
    assert "s3cret" not in adapter.encrypted_secrets
    assert adapter.secrets() == {"password": "s3cret"}
    assert (shown["secret_names"], shown["synced_until"]) == (["password"], None)
    assert shown["is_trading"] is True
    assert trading_only["count"] == 1


def test_an_agent_may_read_but_not_change_configuration(api_client):
    agent = staff_with_role(Role.SALES_AGENT)
    api_client.force_authenticate(agent)

    read = api_client.get(reverse("backoffice:downtime-list"))
    write = api_client.post(reverse("backoffice:market-group-list"), {"name": "X"}, format="json")
    adapters = api_client.get(reverse("backoffice:platform-adapter-list"))

    assert read.status_code == 200
    assert write.status_code == 403
    assert adapters.status_code == 403


@pytest.mark.parametrize(
    "name", ["downtime-list", "commission-rule-list", "trading-asset-list", "session-override-list"]
)
def test_config_lists_do_not_grow_in_queries(client_of, django_assert_max_num_queries, name):
    profile = CommissionProfile.objects.create(name="Retail")
    for index in range(5):
        instrument = InstrumentFactory(symbol=f"SYM{index}")
        services.create_rule(profile, actor=None, instrument=instrument)
        services.save_config(
            Downtime(),
            actor=None,
            related={"instruments": [instrument]},
            title=f"D{index}",
            starts_at=timezone.now(),
            ends_at=timezone.now() + dt.timedelta(hours=1),
        )
        Asset.objects.create(code=f"A{index}", name="A", scale=2)
        SessionOverride.objects.create(instrument=instrument, date=dt.date(2026, 1, 1 + index))

    with django_assert_max_num_queries(8):
        assert client_of.get(reverse(f"backoffice:{name}")).status_code == 200


def test_instrument_takes_the_new_market_fields(client_of):
    majors = MarketGroup.objects.create(name="Majors")
    eurusd = InstrumentFactory(symbol="EURUSD")

    response = client_of.patch(
        reverse("backoffice:instrument-detail", args=[eurusd.pk]),
        {"market_group": majors.pk, "digits": 4, "amount_scale": 2, "slippage_rate": "0.5",
         "is_const_leverage": True, "max_leverage": 30},
        format="json",
    )  # fmt: skip
    refused = client_of.patch(
        reverse("backoffice:instrument-detail", args=[eurusd.pk]),
        {"is_const_leverage": True, "max_leverage": None},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["market_group"] == majors.pk
    assert (response.json()["digits"], "price_scale" in response.json()) == (4, False)
    assert refused.status_code == 400


def test_instrument_amount_scale_must_show_the_lot_steps_amount(client_of):
    btcusd = InstrumentFactory(symbol="BTCUSD", contract_size=D(1), lot_step=D("0.01"), min_lot=D("0.01"))
    url = reverse("backoffice:instrument-detail", args=[btcusd.pk])

    refused = client_of.patch(url, {"lot_step": "0.001"}, format="json")
    accepted = client_of.patch(url, {"lot_step": "0.001", "amount_scale": 3}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["amount_scale"]
    assert accepted.status_code == 200, accepted.json()
    btcusd.refresh_from_db()
    assert (btcusd.lot_step, btcusd.amount_scale) == (D("0.001"), 3)


def test_a_pending_order_waits_out_a_downtime():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(), "5000.00")
    order = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.1"), order_type="limit", price=D("1.09")
    )
    now = timezone.now()
    services.save_config(
        Downtime(), actor=None, related={"instruments": [eurusd]}, title="Halt",
        starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=5),
    )  # fmt: skip

    services.process_quote(eurusd, bid=D("1.08800"), ask=D("1.08820"))

    order.refresh_from_db()
    assert order.status == "pending"


# Admin -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["asset", "marketgroup", "marketcategory", "commissionprofile", "downtime", "platformadapter"]
)
def test_configuration_changelists_open_in_a_constant_number_of_queries(client, dealer, model):
    client.force_login(dealer)
    url = reverse(f"admin:trading_{model}_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(4):
        Asset.objects.create(code=f"C{index}", name="Coin", scale=8)
        MarketGroup.objects.create(name=f"G{index}")
        MarketCategory.objects.create(name=f"Cat{index}", parent=MarketCategory.objects.first())
        CommissionProfile.objects.create(name=f"P{index}")
        Downtime.objects.create(title=f"D{index}", starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(1))
        PlatformAdapter.objects.create(name=f"a{index}", type="mt5")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few)


def test_a_commission_rule_added_in_the_admin_goes_last(client, dealer):
    profile = CommissionProfile.objects.create(name="Retail")
    first = services.create_rule(profile, actor=None)
    eurusd = InstrumentFactory(symbol="EURUSD")
    client.force_login(dealer)
    prefix = "rules"

    response = client.post(
        reverse("admin:trading_commissionprofile_change", args=[profile.pk]),
        {
            "name": "Retail", "description": "",
            f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": str(first.pk), f"{prefix}-0-profile": str(profile.pk),
            f"{prefix}-0-spot_fee_type": "Percent", f"{prefix}-0-spot_fee_size": "0",
            f"{prefix}-0-cfd_fee_type": "PerLot", f"{prefix}-0-cfd_fee_size": "0", f"{prefix}-0-min_fee": "0",
            f"{prefix}-1-profile": str(profile.pk), f"{prefix}-1-instrument": str(eurusd.pk),
            f"{prefix}-1-spot_fee_type": "Percent", f"{prefix}-1-spot_fee_size": "0.1",
            f"{prefix}-1-cfd_fee_type": "PerLot", f"{prefix}-1-cfd_fee_size": "7", f"{prefix}-1-min_fee": "1",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert rules_of(profile) == [(first.pk, 1), (profile.rules.get(instrument=eurusd).pk, 2)]


def test_adapter_credentials_in_the_admin_are_encrypted(client, dealer):
    client.force_login(dealer)

    response = client.post(
        reverse("admin:trading_platformadapter_add"),
        {"name": "mt5-live", "type": "mt5", "is_enabled": "on", "configuration": "{}",
         "new_secrets": '{"password": "s3cret"}'},
    )  # fmt: skip

    adapter = PlatformAdapter.objects.get()
    page = client.get(reverse("admin:trading_platformadapter_change", args=[adapter.pk]))
    assert response.status_code == 302
    assert adapter.secrets() == {"password": "s3cret"}
    assert "s3cret" not in page.content.decode()
