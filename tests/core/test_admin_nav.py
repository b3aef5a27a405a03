"""The sidebar's links are reversed once per process and script prefix (crm/core/admin_nav.py)."""

from django.urls import clear_script_prefix, reverse, set_script_prefix

from crm.core.admin_nav import admin_url, navigation


def sidebar_links() -> list[str]:
    return [str(item["link"]) for section in navigation for item in section["items"] if not callable(item["link"])]


def test_sidebar_links_are_the_admin_pages():
    links = sidebar_links()

    assert str(admin_url("admin:index")) == reverse("admin:index")
    assert reverse("admin:customers_customer_changelist") in links
    assert all(link.startswith("/admin/") for link in links)


def test_sidebar_links_follow_the_script_prefix():
    set_script_prefix("/backoffice/")
    try:
        links = sidebar_links()
    finally:
        clear_script_prefix()

    assert all(link.startswith("/backoffice/admin/") for link in links)
    assert all(link.startswith("/admin/") for link in sidebar_links())


def test_sidebar_renders_on_an_admin_page(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert reverse("admin:customers_customer_changelist") in response.content.decode()
