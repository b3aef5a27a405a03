"""Staff screens in the staff member's own language: Arabic right to left, the switch remembered."""

import pytest
from django.urls import reverse

from crm.core.roles import Role
from tests.conftest import staff_with_role

pytestmark = pytest.mark.django_db


def test_a_staff_member_with_arabic_gets_the_admin_right_to_left_in_arabic(client):
    staff = staff_with_role(Role.ADMIN, language="ar")
    client.force_login(staff)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl"' in html
    assert "تسجيل الخروج" in html  # "Log out"
    assert "العملاء" in html  # "Clients" in the menu


def test_a_staff_member_without_a_language_gets_the_browsers(client):
    staff = staff_with_role(Role.ADMIN, language="")
    client.force_login(staff)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es")

    assert '<html lang="es" dir="ltr"' in response.content.decode()


def test_the_language_switch_is_remembered_on_the_staff_record(client):
    staff = staff_with_role(Role.SALES_AGENT, language="en")
    client.force_login(staff)

    response = client.post(reverse("set_language"), {"language": "ar", "next": "/admin/"})

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.language == "ar"
    assert '<html lang="ar" dir="rtl"' in client.get(reverse("admin:index")).content.decode()


def test_the_language_switch_refuses_a_language_we_do_not_speak(client):
    staff = staff_with_role(Role.SALES_AGENT, language="es")
    client.force_login(staff)

    client.post(reverse("set_language"), {"language": "de", "next": "/admin/"})

    staff.refresh_from_db()
    assert staff.language == "es"


def test_a_client_list_and_page_in_spanish(client):
    from tests.customers.factories import CustomerFactory

    staff = staff_with_role(Role.ADMIN, language="es")
    customer = CustomerFactory()
    client.force_login(staff)

    listing = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert "Registrado el" in listing  # the made-up label "registered at"
    assert "Asignar agente" in listing  # an action
    assert "Apellido" in page  # "last name"
    assert "Fecha de nacimiento" in page  # "date of birth"
