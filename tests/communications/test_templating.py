from decimal import Decimal

import pytest

from crm.communications import templating
from crm.communications.models import EmailTemplate
from crm.core.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234.5", "USD", "1,234.50 USD"),
        (Decimal("100.00000000"), "USD", "100.00 USD"),
        ("0.00012300", "BTC", "0.00012300 BTC"),
        ("5000", "JPY", "5,000 JPY"),
        ("0E-8", "USD", "0.00 USD"),
    ],
)
def test_the_money_filter_is_the_products_money_format(amount, currency, shown):
    rendered = templating.render_text("{{ amount|money(currency) }}", {"amount": amount, "currency": currency})

    assert rendered == shown == format_money(amount, currency)


def test_the_money_filter_without_a_currency_shows_the_amount_alone():
    assert templating.render_text("{{ a|money }}", {"a": "1234.5"}) == "1,234.50"
    assert templating.render_text("{{ a|money }}", {"a": "n/a"}) == "n/a"


@pytest.mark.django_db
def test_the_shipped_templates_use_the_money_format():
    shipped = EmailTemplate.objects.get(trigger="deposit.completed")

    assert "{{ amount|money(currency) }}" in shipped.subject
    assert "{{ currency }}" not in shipped.subject + shipped.txt + shipped.mjml
    assert all("money(currency)" in variant.txt for variant in shipped.variants.all())


@pytest.mark.django_db
def test_the_migration_rewrites_the_old_amount_of_shipped_templates_only():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("crm.communications.migrations.0006_money_filter_with_currency")
    old = EmailTemplate.objects.create(
        title="Old", trigger="deposit.completed", subject="Got {{ amount|money }} {{ currency }}", txt="x"
    )
    own = EmailTemplate.objects.create(
        title="Own", trigger="deposit.completed", subject="{{ currency }}: {{ amount }}", txt="y"
    )

    migration.rewrite(apps, None)

    old.refresh_from_db()
    own.refresh_from_db()
    assert (old.subject, own.subject) == ("Got {{ amount|money(currency) }}", "{{ currency }}: {{ amount }}")


PRINTING = '<p title="{{ title }}">{{ customer.first_name }} & {{ n }}</p>\r\n<i>{{ text }}{{ nothing }}</i>{ }}\n'


@pytest.mark.parametrize(
    "values",
    [
        {"title": "a\"b'c", "customer": {"first_name": "<Ann>"}, "n": 7, "text": "Gold & oil", "nothing": None},
        {"title": "", "customer": {"first_name": "é中"}, "n": 2.5, "text": ["<x>"], "nothing": True},
    ],
)
def test_a_template_that_only_prints_values_is_rendered_as_jinja_renders_it(values):
    assert templating._printed_parts(PRINTING, templating._html_env) is not None  # filled without Jinja
    assert templating._printed_parts(PRINTING, templating._text_env) is not None

    assert templating.fill_html(PRINTING, values) == templating._html_env.from_string(PRINTING).render(values)
    assert templating.render_text(PRINTING, values) == templating._text_env.from_string(PRINTING).render(values)


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("{% if n %}<b>{{ n }}</b>{% endif %}", {"n": "<1>"}),
        ("{{ text|linebreaks }}", {"text": "a\n<b>"}),
        ("{{ customer.items }}|{{ self }}", {"customer": {"items": "mine"}}),
        ("{{ n.real }}", {"n": 5}),
        ("{{ range }}", {}),
    ],
)
def test_a_template_doing_more_than_printing_values_is_rendered_by_jinja(source, values):
    assert templating.fill_html(source, values) == templating._html_env.from_string(source).render(values)
    assert templating.render_text(source, values) == templating._text_env.from_string(source).render(values)


@pytest.mark.parametrize("values", [{}, {"customer": {}}, {"customer": {"last_name": "Bo"}}])
def test_a_value_missing_from_a_printing_template_is_a_template_problem(values):
    with pytest.raises(templating.TemplateProblem):
        templating.fill_html("<p>{{ customer.first_name }}</p>", values)
    with pytest.raises(templating.TemplateProblem):
        templating.render_text("Hello {{ customer.first_name }}", values)
