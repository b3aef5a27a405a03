"""001 trading UI settings, layouts and templates at the seed's paths, kept per client."""

import pytest
from rest_framework.test import APIClient

from crm.trading.models import TraderLayout
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.trading.compat_helpers import make_trader

pytestmark = pytest.mark.django_db

UI = "/frontoffice/api/v3/ui/"


def layout(layout_id="main", name="Main"):
    return {"id": layout_id, "name": name, "tabs": [{
        "id": "t1", "selectedWidgetId": "w1", "sizes": {"x": 1, "y": 1, "cols": 1, "rows": 1, "layerIndex": 1},
        "widgets": [{"id": "w1", "type": "BbpFavorites", "settings": {"pairs": ["EURUSD"]}}],
    }]}  # fmt: skip


@pytest.fixture
def client():
    return make_trader().client


def test_settings_read_and_patch(client):
    assert client.get(UI + "settings").json() == {
        "selectedLayoutId": "", "isIntroductionTourCompleted": False, "is24HTimeFormatUsed": True, "theme": "dark",
    }  # fmt: skip
    client.post(UI + "layouts", layout(), format="json")

    patched = client.patch(UI + "settings", {"selectedLayoutId": "main", "theme": "light"}, format="json")
    unknown = client.patch(UI + "settings", {"selectedLayoutId": "nope"}, format="json")

    assert patched.status_code == 204
    assert unknown.status_code == 400
    body = client.get(UI + "settings").json()
    assert (body["selectedLayoutId"], body["theme"], body["is24HTimeFormatUsed"]) == ("main", "light", True)


def test_layouts_create_replace_rename_reorder_delete(client):
    created = client.post(UI + "layouts", layout(), format="json")
    client.post(UI + "layouts", layout("second", "Second"), format="json")
    again = client.post(UI + "layouts", layout(), format="json")
    tabs = layout()["tabs"] * 2
    replaced = client.put(UI + "layouts/main", {"tabs": tabs}, format="json")
    renamed = client.put(UI + "layouts/main/name", {"name": "Renamed"}, format="json")
    reordered = client.put(UI + "layouts/order", {"layoutOrder": ["second", "main"]}, format="json")
    wrong_order = client.put(UI + "layouts/order", {"layoutOrder": ["main"]}, format="json")

    listed = client.get(UI + "layouts").json()["layouts"]
    assert created.status_code == 201
    assert again.status_code == 409
    assert (replaced.status_code, renamed.status_code, reordered.status_code) == (204, 204, 204)
    assert wrong_order.status_code == 400
    assert [(row["id"], row["name"]) for row in listed] == [("second", "Second"), ("main", "Renamed")]
    assert listed[1]["tabs"] == tabs

    assert client.delete(UI + "layouts/main").status_code == 204
    assert [row["id"] for row in client.get(UI + "layouts").json()["layouts"]] == ["second"]


def test_bad_layouts_are_400s(client):
    bad_type = layout()
    bad_type["tabs"][0]["widgets"][0]["type"] = "Spreadsheet"

    assert client.post(UI + "layouts", bad_type, format="json").status_code == 400
    assert client.post(UI + "layouts", {"id": "x", "name": "X", "tabs": "no"}, format="json").status_code == 400
    assert not TraderLayout.objects.exists()


def test_another_clients_layout_is_a_404_and_unchanged(client):
    other = APIClient()
    bearer(other, PortalCustomerFactory())
    other.post(UI + "layouts", layout("theirs", "Theirs"), format="json")

    assert client.put(UI + "layouts/theirs/name", {"name": "Mine"}, format="json").status_code == 404
    assert client.delete(UI + "layouts/theirs").status_code == 404
    assert client.get(UI + "layouts").json() == {"layouts": []}
    assert TraderLayout.objects.get().name == "Theirs"


def test_templates(client):
    templates = client.get(UI + "templates").json()["templates"]

    assert [row["isDefault"] for row in templates].count(True) == 1
    assert set(templates[0]) == {"id", "name", "isDefault", "tabs"}
    assert set(templates[0]["tabs"][0]) == {"id", "selectedWidgetId", "sizes", "widgets"}
    assert APIClient().get(UI + "templates").status_code == 401
