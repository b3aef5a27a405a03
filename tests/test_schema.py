"""The OpenAPI schema validates with no warnings, and its docs need nothing from a CDN."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

CDN_HOSTS = ("https://cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis")


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert text.startswith("openapi: 3")
    assert "/api/v1/backoffice/" in text
    assert "/api/v1/portal/auth/sign-up/" in text


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Broker Back Office API"
    assert any(path.startswith("/api/v1/backoffice/") for path in schema["paths"])


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_use_only_local_static_files(client, url):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    for host in CDN_HOSTS:
        assert host not in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_every_operation_is_described():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    undescribed = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not (operation.get("summary") or operation.get("description"))
    ]
    assert undescribed == []


def _answer_schema(operation: dict) -> dict:
    return operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})


def test_every_list_answering_a_plain_array_is_named_in_the_readme():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()

    plain = [
        path
        for path, operations in schema["paths"].items()
        if _answer_schema(operations.get("get", {})).get("schema", {}).get("type") == "array"
    ]

    assert plain
    assert [path for path in plain if f"`{path}`" not in readme] == []
