"""Seed 001 "Settings — back office v2", markets, through the client at the seed's paths: one market, create,
update, search with its filters, and the markets file (import with per-row errors, export as a job)."""

import io
import json
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from crm.core.models import ExportJob
from crm.core.roles import Role
from crm.trading.models import Asset, Instrument, MarketGroup, MarketImport, SwapMode
from tests.trading.compat_helpers import make_trader
from tests.trading.factories import InstrumentFactory
from tests.users.factories import ApiTokenFactory, StaffUserFactory

pytestmark = pytest.mark.django_db
BASE = "/back-api/backoffice/v2"
V2 = "application/json; x-api-version=2.0"

# The seed's example answers, by key.
MARKET_KEYS = {
    "marketId", "displayName", "fullName", "baseAssetId", "quoteAssetId", "minAmount", "priceDeviation",
    "priceScale", "amountScale", "slippageRate", "status", "type", "subtype", "isSynchronized", "createdAt",
    "updatedAt", "externalTtl", "internalTtl", "lotSize", "minLotAmount", "maxLotAmount", "tickSize", "lotStep",
    "swapSettings", "calendarId", "marketGroupId", "marketGroupName", "calendarName", "maxLeverage",
    "isConstLeverage", "minQuoteAmount", "maxBaseAmount", "tradingSessions", "marketDataSessions",
}  # fmt: skip


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


def _assets():
    Asset.objects.create(code="BTC", name="Bitcoin", scale=8, type=Asset.Type.CRYPTO)
    Asset.objects.create(code="USD", name="US Dollar", scale=2)


CREATE = {
    "baseAssetId": "BTC",
    "quoteAssetId": "USD",
    "fullName": "Bitcoin / US Dollar",
    "minAmount": "0.01",
    "priceDeviation": "5",
    "priceScale": 2,
    "amountScale": 4,
    "slippageRate": "0.5",
    "status": "Active",
    "type": "Cfd",
    "subtype": "Crypto",
    "isSynchronized": False,
    "externalTtl": 30,
    "internalTtl": 10,
    "lotSize": 1,
    "minLotAmount": "0.01",
    "maxLotAmount": 50,
    "tickSize": "0.01",
    "lotStep": "0.01",
    "swapSettings": {
        "type": "Money",
        "shortPositionSettings": {"swapSize": "-1.5", "assetId": "BTC"},
        "longPositionSettings": {"swapSize": "-2.5", "assetId": "BTC"},
    },
    "maxLeverage": 20,
    "isConstLeverage": False,
    "minQuoteAmount": "10",
    "maxBaseAmount": "50",
    "tradingSessionIds": [],
    "marketDataSessionIds": [],
}


# Create, read, update -------------------------------------------------------------------------------------------


def test_create_a_market_then_read_it_in_the_seed_shape(dealer):
    _assets()

    response = _post(dealer, f"{BASE}/markets", CREATE)

    assert response.status_code == 201, response.json()
    assert response.json() == {"marketId": "BTCUSD"}
    instrument = Instrument.objects.get(symbol="BTCUSD")
    assert (instrument.market_type, instrument.category, instrument.swap_mode) == (
        "CFD", "CRYPTO", SwapMode.CURRENCY_SYMBOL,
    )  # fmt: skip
    assert (instrument.base_asset.code, instrument.quote_asset.code, instrument.min_lot) == ("BTC", "USD", D("0.01"))
    body = dealer.get(f"{BASE}/markets/BTCUSD").json()
    assert set(body) == MARKET_KEYS
    assert {key: body[key] for key in ("marketId", "displayName", "fullName", "type", "subtype", "status")} == {
        "marketId": "BTCUSD",
        "displayName": "BTCUSD",
        "fullName": "Bitcoin / US Dollar",
        "type": "Cfd",
        "subtype": "Crypto",
        "status": "Active",
    }
    assert body["swapSettings"] == {
        "type": "Money",
        "shortPositionSettings": {"swapSize": "-1.5", "assetId": "BTC"},
        "longPositionSettings": {"swapSize": "-2.5", "assetId": "BTC"},
    }
    assert (body["lotSize"], body["maxLotAmount"], body["maxLeverage"], body["minAmount"]) == (1, 50, 20, "0.01")
    assert (body["externalTtl"], body["internalTtl"], body["minQuoteAmount"]) == (30, 10, "10")
    assert (body["calendarId"], body["tradingSessions"], body["marketDataSessions"]) == (None, [], [])


def test_create_bad_input_is_400_with_every_field_and_nothing_is_made(dealer):
    _assets()
    InstrumentFactory(symbol="EURUSD")
    body = {
        **{key: value for key, value in CREATE.items() if key != "swapSettings"},
        "baseAssetId": "NOPE",
        "displayName": "EURUSD",
        "marketGroupId": "999",
        "calendarId": "cal-1",
        "minAmount": "7",
    }

    response = _post(dealer, f"{BASE}/markets", body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "baseAssetId": ["Unknown asset."],
        "displayName": ["A market with this id already exists."],
        "marketGroupId": ["Unknown market group."],
        "calendarId": ["Unknown calendar."],
        "minAmount": ["Must be minLotAmount times lotSize."],
    }
    assert Instrument.objects.count() == 1


def test_a_model_rule_is_a_field_error_in_the_seeds_name(dealer):
    _assets()

    response = _post(dealer, f"{BASE}/markets", {**CREATE, "minLotAmount": "60", "minAmount": "60"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"maxLotAmount": ["Must not be below the minimum lot."]}
    assert not Instrument.objects.filter(symbol="BTCUSD").exists()


def test_update_changes_the_given_fields_only(dealer):
    group = MarketGroup.objects.create(name="Majors")
    instrument = InstrumentFactory(symbol="EURUSD", max_lot=D(100), swap_mode=SwapMode.POINTS)

    response = _put(
        dealer,
        f"{BASE}/markets/EURUSD",
        {
            "fullName": "Euro",
            "status": "Disabled",
            "marketGroupId": str(group.pk),
            "maxBaseAmount": "5000000",
            "swapSettings": {
                "type": "Interest",
                "shortPositionSettings": {"swapSize": "1"},
                "longPositionSettings": {"swapSize": "-3"},
            },
            "displayName": "EURUSD",
            "type": "Cfd",
        },
    )

    assert response.status_code == 204
    instrument.refresh_from_db()
    assert (instrument.description, instrument.is_enabled, instrument.market_group) == ("Euro", False, group)
    assert (instrument.max_lot, instrument.min_lot, instrument.swap_mode) == (
        D(50),
        D("0.01"),
        SwapMode.INTEREST_CURRENT,
    )
    assert (instrument.swap_long, instrument.swap_short) == (D(-3), D(1))
    assert dealer.get(f"{BASE}/markets/EURUSD").json()["marketGroupName"] == "Majors"


def test_update_refuses_what_cannot_change_and_unknown_markets_are_404(dealer):
    instrument = InstrumentFactory(symbol="EURUSD")

    refused = _put(dealer, f"{BASE}/markets/EURUSD", {"type": "Spot", "baseAssetId": "GBP", "fullName": "X"})
    bad = _put(dealer, f"{BASE}/markets/EURUSD", {"priceScale": 99, "tradingSessionIds": ["s1"]})

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"type": ["Cannot be changed."], "baseAssetId": ["Cannot be changed."]}
    assert bad.json()["error"]["fields"] == {"priceScale": ["Ensure this value is less than or equal to 10."]}
    instrument.refresh_from_db()
    assert instrument.description == "Euro vs US dollar"
    assert _put(dealer, f"{BASE}/markets/NOPE", {"fullName": "X"}).status_code == 404
    assert dealer.get(f"{BASE}/markets/NOPE").status_code == 404


def test_the_scales_a_back_office_put_sets_are_what_the_front_office_answers(dealer):
    trader = make_trader()

    response = _put(dealer, f"{BASE}/markets/EURUSD", {"priceScale": 3, "amountScale": 4})

    assert response.status_code == 204
    trader.eurusd.refresh_from_db()
    assert (trader.eurusd.digits, trader.eurusd.amount_scale) == (3, 4)  # digits: the engine's point too
    back = dealer.get(f"{BASE}/markets/EURUSD").json()
    v4 = trader.client.get("/frontoffice/api/v4/markets/EURUSD").json()
    v3 = trader.client.get("/frontoffice/api/v3/markets/EURUSD").json()
    listed = _post(dealer, f"{BASE}/markets/list", {}).json()["markets"][0]
    for answer in (back, v4, v3, listed):
        assert (answer["priceScale"], answer["amountScale"]) == (3, 4)


def test_amount_scale_must_show_the_lot_steps_amount(dealer):
    instrument = InstrumentFactory(
        symbol="BTCUSD", contract_size=D(1), lot_step=D("0.001"), min_lot=D("0.001"), amount_scale=3
    )

    below = _put(dealer, f"{BASE}/markets/BTCUSD", {"amountScale": 2})
    finer_step = _put(dealer, f"{BASE}/markets/BTCUSD", {"lotStep": "0.0001"})
    both = _put(dealer, f"{BASE}/markets/BTCUSD", {"lotStep": "0.0001", "amountScale": 4})

    assert below.status_code == 400
    assert below.json()["error"]["fields"] == {
        "amountScale": [
            "Must be at least 3: the lot step's amount (lot step times contract size, 0.001) has 3 decimal places."
        ]
    }
    assert finer_step.json()["error"]["fields"] == {
        "amountScale": [
            "Must be at least 4: the lot step's amount (lot step times contract size, 0.0001) has 4 decimal places."
        ]
    }
    assert both.status_code == 204
    instrument.refresh_from_db()
    assert (instrument.lot_step, instrument.amount_scale) == (D("0.0001"), 4)


def test_a_new_market_whose_lot_step_needs_more_amount_decimals_is_refused(dealer):
    _assets()

    response = _post(dealer, f"{BASE}/markets", {**CREATE, "lotStep": "0.00001", "amountScale": 4})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["amountScale"]
    assert not Instrument.objects.filter(symbol="BTCUSD").exists()


def test_unknown_sessions_are_refused(dealer):
    InstrumentFactory(symbol="EURUSD")

    response = _put(dealer, f"{BASE}/markets/EURUSD", {"tradingSessionIds": ["s1"], "marketDataSessionIds": []})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"tradingSessionIds": ["Unknown sessions: s1."]}


def test_writes_need_manage_markets_and_reads_view_common(support):
    InstrumentFactory(symbol="EURUSD")

    assert support.get(f"{BASE}/markets/EURUSD").status_code == 200
    assert _post(support, f"{BASE}/markets/list", {}).status_code == 200
    assert _post(support, f"{BASE}/markets", CREATE).status_code == 403
    assert _put(support, f"{BASE}/markets/EURUSD", {"fullName": "X"}).status_code == 403
    assert support.get(f"{BASE}/markets/download").status_code == 403
    assert support.post(f"{BASE}/markets/file", {}, format="multipart").status_code == 403
    assert _client(Role.AFFILIATE_MANAGER).get(f"{BASE}/markets/EURUSD").status_code == 403
    assert APIClient().get(f"{BASE}/markets/EURUSD").status_code == 401
    assert Instrument.objects.get().description == "Euro vs US dollar"


# Search ---------------------------------------------------------------------------------------------------------


def _markets():
    majors = MarketGroup.objects.create(name="Majors")
    InstrumentFactory(symbol="EURUSD", market_group=majors, max_leverage=30)
    InstrumentFactory(symbol="GBPUSD", market_group=majors, is_enabled=False)
    InstrumentFactory(
        symbol="BTCUSD", description="Bitcoin", category="CRYPTO", market_type="SPOT", contract_size=D(1)
    )
    return majors


def _ids(response):
    assert response.status_code == 200, response.json()
    return [market["marketId"] for market in response.json()["markets"]]


def test_search_answers_the_seeds_shape_with_max_leverage_as_text(dealer):
    _markets()

    body = _post(dealer, f"{BASE}/markets/list", {"marketIds": ["EURUSD"]}).json()

    assert list(body) == ["markets"]
    assert set(body["markets"][0]) == MARKET_KEYS
    assert body["markets"][0]["maxLeverage"] == "30"


@pytest.mark.parametrize(
    ("_case", "body", "expected"),
    [
        ("everything, by id", {}, ["BTCUSD", "EURUSD", "GBPUSD"]),
        ("ids", {"marketIds": ["EURUSD", "BTCUSD"]}, ["BTCUSD", "EURUSD"]),
        ("display names", {"displayNames": ["GBPUSD"]}, ["GBPUSD"]),
        ("full names", {"fullNames": ["Bitcoin"]}, ["BTCUSD"]),
        ("types", {"types": ["Spot"]}, ["BTCUSD"]),
        ("subtypes", {"subtypes": ["Forex"]}, ["EURUSD", "GBPUSD"]),
        ("statuses", {"statuses": ["Disabled"]}, ["GBPUSD"]),
        ("base assets", {"baseAssetIds": ["GBP", "BTC"]}, ["BTCUSD", "GBPUSD"]),
        ("quote assets", {"quoteAssetIds": ["USD"]}, ["BTCUSD", "EURUSD", "GBPUSD"]),
        ("exclude groups", {"excludeMarketGroupIds": ["GROUP"]}, ["BTCUSD"]),
        ("groups", {"marketGroupIds": ["GROUP"]}, ["EURUSD", "GBPUSD"]),
        ("id starts with", {"marketId": "eu"}, ["EURUSD"]),
        ("calendars match nothing", {"calendarIds": ["c"]}, []),
        ("sessions match nothing", {"tradingSessionNames": ["LP"]}, []),
        ("session status matches nothing", {"marketDataSessionStatus": "Active"}, []),
        ("sorted descending", {"sort": {"field": "MarketId", "direction": "Desc"}}, ["GBPUSD", "EURUSD", "BTCUSD"]),
        ("sorted by type", {"sort": {"field": "Type", "direction": "Asc"}}, ["EURUSD", "GBPUSD", "BTCUSD"]),
        ("a page", {"limit": 1, "offset": 1}, ["EURUSD"]),
    ],
)
def test_search_filters(dealer, _case, body, expected):
    group = _markets()
    body = json.loads(json.dumps(body).replace("GROUP", str(group.pk)))

    assert _ids(_post(dealer, f"{BASE}/markets/list", body)) == expected


def test_search_bad_input_is_400_with_fields(dealer):
    response = _post(dealer, f"{BASE}/markets/list", {"types": ["Futures"], "limit": 0, "sort": {"field": "Nope"}})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"types.0", "limit", "sort.field"}


def test_search_queries_do_not_grow_with_markets(dealer, django_assert_num_queries):
    _markets()
    _post(dealer, f"{BASE}/markets/list", {})  # the token's first use is recorded once
    with django_assert_num_queries(3):  # the token, its permissions (1), the page
        _post(dealer, f"{BASE}/markets/list", {})
    for number in range(10):
        InstrumentFactory(symbol=f"XX{number}USD", market_group=MarketGroup.objects.first())
    with django_assert_num_queries(3):
        _post(dealer, f"{BASE}/markets/list", {})


# Markets file ---------------------------------------------------------------------------------------------------


def _xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(
        "markets.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_import_creates_and_updates_rows_and_lists_the_incorrect_ones(dealer, django_capture_on_commit_callbacks):
    InstrumentFactory(symbol="EURUSD", max_lot=D(100))
    upload = _xlsx(
        [
            ["id", "symbol", "description", "margin_currency", "profit_currency", "min_lot", "max_lot", "bid"],
            [1, "EURUSD", "Euro", "EUR", "USD", 0.1, 20, 1.1],
            [None, "XAUUSD", "Gold", "XAU", "USD", 0.01, 10, None],
            [None, "BADUSD", "Bad", "BAD", "USD", 5, 1, None],
            [None, "EURUSD", "Again", "EUR", "USD", 0.1, 20, None],
            [None, "NOPUSD", "", "NOP", "USD", "many", 1, None],
        ]
    )

    with django_capture_on_commit_callbacks(execute=True):  # the task runs in-process after the commit
        started = dealer.post(f"{BASE}/markets/file", {"file": upload}, format="multipart")

    assert started.status_code == 200
    assert started.json()["status"] == "InProcess"
    job = MarketImport.objects.get(pk=started.json()["id"])
    status = dealer.get(f"{BASE}/markets/file/{job.pk}").json()
    assert status == {"status": "Completed", "created": 1, "updated": 1, "errors": 3, "incorrectRows": [3, 4, 5]}
    assert job.row_errors == {
        "3": {"max_lot": ["Must not be below the minimum lot."]},
        "4": {"symbol": ["The file has this symbol on an earlier row."]},
        "5": {"min_lot": ["Enter a number."]},
    }
    eurusd = Instrument.objects.get(symbol="EURUSD")
    assert (eurusd.description, eurusd.min_lot, eurusd.max_lot) == ("Euro", D("0.1"), D(20))
    assert Instrument.objects.get(symbol="XAUUSD").description == "Gold"
    assert not Instrument.objects.filter(symbol__in=["BADUSD", "NOPUSD"]).exists()


def test_import_refuses_an_unreadable_file_and_running_it_twice_imports_once(
    dealer, django_capture_on_commit_callbacks
):
    from crm.trading.services import market_files

    bad = dealer.post(
        f"{BASE}/markets/file", {"file": SimpleUploadedFile("m.xlsx", b"PK\x03\x04junk")}, format="multipart"
    )
    no_symbol = dealer.post(f"{BASE}/markets/file", {"file": _xlsx([["name"], ["x"]])}, format="multipart")
    missing = dealer.post(f"{BASE}/markets/file", {}, format="multipart")

    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"file": ["Not a readable XLSX file."]}
    assert no_symbol.json()["error"]["fields"] == {"file": ["The file has no symbol column."]}
    assert set(missing.json()["error"]["fields"]) == {"file"}
    assert MarketImport.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        started = dealer.post(
            f"{BASE}/markets/file",
            {"file": _xlsx([["symbol", "margin_currency", "profit_currency"], ["XAUUSD", "XAU", "USD"]])},
            format="multipart",
        )
    assert market_files.run_market_import(started.json()["id"]) is None
    assert MarketImport.objects.get().rows_created == 1


def test_import_status_of_an_unknown_job_is_404(dealer):
    assert dealer.get(f"{BASE}/markets/file/123e4567-e89b-12d3-a456-426614174000").status_code == 404
    assert dealer.get(f"{BASE}/markets/file/not-a-uuid").status_code == 404


def test_download_exports_a_file_the_import_takes_back(dealer, django_capture_on_commit_callbacks):
    InstrumentFactory(symbol="EURUSD", description="=HYPERLINK(1)", max_lot=D(40))

    with django_capture_on_commit_callbacks(execute=True):
        response = dealer.get(f"{BASE}/markets/download")

    assert response.status_code == 200
    assert response.json()["status"] == "InProcess"
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.target, job.rows_total) == ("done", "backoffice:instrument-list", 1)
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "symbol" in rows[0]
    assert "min_quote_amount" in rows[0]
    assert ("digits" in rows[0], "amount_scale" in rows[0], "price_scale" in rows[0]) == (True, True, False)
    description = sheet.cell(row=2, column=rows[0].index("description") + 1)
    assert (description.data_type, description.value) == ("s", "=HYPERLINK(1)")
    Instrument.objects.filter(symbol="EURUSD").update(max_lot=D(1), description="changed")
    with job.file.open("rb") as handle:
        upload = SimpleUploadedFile("markets.xlsx", handle.read())
    with django_capture_on_commit_callbacks(execute=True):
        again = dealer.post(f"{BASE}/markets/file", {"file": upload}, format="multipart").json()
    assert dealer.get(f"{BASE}/markets/file/{again['id']}").json()["updated"] == 1
    restored = Instrument.objects.get(symbol="EURUSD")
    assert (restored.max_lot, restored.description) == (D(40), "=HYPERLINK(1)")


def test_a_failed_import_answers_failed_and_a_pending_one_in_process(dealer):
    owner = StaffUserFactory()
    failed = MarketImport.objects.create(owner=owner, file="market-imports/a.xlsx", status="failed")
    pending = MarketImport.objects.create(owner=owner, file="market-imports/b.xlsx")

    assert dealer.get(f"{BASE}/markets/file/{failed.pk}").json()["status"] == "Failed"
    assert dealer.get(f"{BASE}/markets/file/{pending.pk}").json() == {
        "status": "InProcess", "created": 0, "updated": 0, "errors": 0, "incorrectRows": [],
    }  # fmt: skip
