"""The email templates the product ships (written by a data migration): the system emails clients get, in the
default language with a variant per other language, from the translation catalogs.

The texts are message ids of the catalogs (the confirmation and reset texts are those the product sent before
it had templates, so their translations are reused); `%(name)s` placeholders become template variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

LINK = "{{ link }}"
NAME = "{{ customer.first_name }}"
SITE = "{{ site_name }}"
AMOUNT = "{{ amount|money(currency) }}"
REASON = "{{ reason }}"

# trigger, title, subject, text, the values of the text's placeholders, whether the email has a button.
DEFAULTS: list[tuple[str, str, str, str, Mapping[str, Any], bool]] = [
    (
        "customer.email_confirmation_requested",
        gettext_noop("Email confirmation"),
        gettext_noop("Confirm your email for %(site)s"),
        gettext_noop("Hello %(name)s,\n\nConfirm your email address by opening this link:\n%(link)s\n"),
        {"name": NAME, "link": LINK},
        True,
    ),
    (
        "customer.password_reset_requested",
        gettext_noop("Password reset"),
        gettext_noop("Reset your %(site)s password"),
        gettext_noop(
            "Hello %(name)s,\n\nSet a new password here:\n%(link)s\n\nIf you did not ask for this, ignore this email."
        ),
        {"name": NAME, "link": LINK},
        True,
    ),
    (
        "kyc.approved",
        gettext_noop("KYC approved"),
        gettext_noop("Your account at %(site)s is verified"),
        gettext_noop("Hello %(name)s,\n\nYour documents were approved: your account is verified.\n"),
        {"name": NAME},
        False,
    ),
    (
        "kyc.rejected",
        gettext_noop("KYC rejected"),
        gettext_noop("We could not verify your account at %(site)s"),
        gettext_noop(
            "Hello %(name)s,\n\nWe could not approve your documents. Please upload them again in the portal.\n"
        ),
        {"name": NAME},
        False,
    ),
    (
        "deposit.completed",
        gettext_noop("Deposit received"),
        gettext_noop("Your deposit of %(amount)s was received"),
        gettext_noop("Hello %(name)s,\n\nYour deposit of %(amount)s was credited to your wallet.\n"),
        {"name": NAME, "amount": AMOUNT},
        False,
    ),
    (
        "withdrawal.requested",
        gettext_noop("Withdrawal requested"),
        gettext_noop("We received your withdrawal request of %(amount)s"),
        gettext_noop(
            "Hello %(name)s,\n\nWe received your request to withdraw %(amount)s. We will review it shortly.\n"
        ),
        {"name": NAME, "amount": AMOUNT},
        False,
    ),
    (
        "withdrawal.approved",
        gettext_noop("Withdrawal approved"),
        gettext_noop("Your withdrawal of %(amount)s was approved"),
        gettext_noop("Hello %(name)s,\n\nYour withdrawal of %(amount)s was approved and is being paid out.\n"),
        {"name": NAME, "amount": AMOUNT},
        False,
    ),
    (
        "withdrawal.rejected",
        gettext_noop("Withdrawal rejected"),
        gettext_noop("Your withdrawal of %(amount)s was rejected"),
        gettext_noop("Hello %(name)s,\n\nYour withdrawal of %(amount)s was rejected: %(reason)s\n"),
        {"name": NAME, "amount": AMOUNT, "reason": REASON},
        False,
    ),
    (
        "withdrawal.completed",
        gettext_noop("Withdrawal paid out"),
        gettext_noop("Your withdrawal of %(amount)s was paid out"),
        gettext_noop("Hello %(name)s,\n\nYour withdrawal of %(amount)s was paid out.\n"),
        {"name": NAME, "amount": AMOUNT},
        False,
    ),
    (
        "withdrawal.failed",
        gettext_noop("Withdrawal payout failed"),
        gettext_noop("Your withdrawal of %(amount)s could not be paid out"),
        gettext_noop(
            "Hello %(name)s,\n\nThe payout of your withdrawal of %(amount)s failed. "
            "The money is back in your wallet.\n"
        ),
        {"name": NAME, "amount": AMOUNT},
        False,
    ),
    (
        "group_message.sent",
        gettext_noop("Message to many clients"),
        gettext_noop("%(subject)s"),
        gettext_noop("Hello %(name)s,\n\n%(text)s\n\nYou will find this message in your inbox at %(portal)s.\n"),
        {"name": NAME, "subject": "{{ subject }}", "text": "{{ text }}", "portal": "{{ portal_url }}"},
        False,
    ),
]

# Emails staff write to a client or a lead: their subject and text, in the layout of every email.
STAFF_WRITTEN: dict[str, str] = {"subject": "{{ subject }}", "body": "{{ body|linebreaks }}"}


def _report_period() -> str:
    """ " for <start> to <end>" in the template's language, shown only for a report of a period (a history report
    chooses its rows by filters and has none)."""
    return (
        "{% if start %}"
        + gettext(" for %(start)s to %(end)s") % {"start": "{{ start }}", "end": "{{ end }}"}
        + ("{% endif %}")
    )


REPORT: dict[str, str | Callable[[], str]] = {
    **{name: f"{{{{ {name} }}}}" for name in ("title", "start", "end", "rows", "until", "url")},
    "period": _report_period,
}
DEFAULTS += [
    (
        "customer.emailed",
        gettext_noop("Email from staff to a client"),
        "%(subject)s",
        "%(body)s",
        STAFF_WRITTEN,
        False,
    ),
    ("lead.emailed", gettext_noop("Email from staff to a lead"), "%(subject)s", "%(body)s", STAFF_WRITTEN, False),
    (
        "report.ready",
        gettext_noop("Report ready"),
        gettext_noop("%(title)s is ready"),
        gettext_noop("%(title)s%(period)s is ready (%(rows)s rows).\n\nDownload it until %(until)s:\n%(url)s\n"),
        REPORT,
        False,
    ),
]

# Fields other than the defaults' (enabled, transactional, to the client): a message to many clients is marketing,
# and is not emailed until staff enable its template; a lead and a report's readers are named by the event.
FIELDS: dict[str, dict[str, Any]] = {
    "group_message.sent": {"is_enabled": False, "category": "marketing"},
    "lead.emailed": {"recipient": "addressee"},
    "report.ready": {"recipient": "addressee"},
}


def mjml_body(text: str, *, button: str = "") -> str:
    """An MJML document for a plain text: a heading with the product's name, a paragraph per block of lines,
    and a button to the link when there is one."""
    paragraphs = "\n".join(
        f'        <mj-text font-size="15px" line-height="22px">{escape(block).replace(chr(10), "<br />")}</mj-text>'
        for block in text.strip().split("\n\n")
    )
    action = (
        f'        <mj-button background-color="#1f6feb" href="{LINK}">{escape(button)}</mj-button>\n' if button else ""
    )
    return (
        "<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n"
        f'        <mj-text font-size="20px" font-weight="bold">{SITE}</mj-text>\n'
        f"{paragraphs}\n{action}"
        "      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n"
    )


def _version(subject: str, text: str, placeholders: Mapping[str, Any], has_button: bool) -> dict[str, str]:
    values = {name: value() if callable(value) else value for name, value in placeholders.items()}
    body = (gettext(text) if text != "%(body)s" else text) % values
    return {
        "subject": gettext(subject) % {"site": SITE, **values},
        "txt": body,
        "mjml": mjml_body(body, button=gettext("Open") if has_button else ""),
    }


def default_templates() -> list[dict[str, Any]]:
    """Every shipped template: its fields in the default language and a variant per other language."""
    result = []
    others = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    for trigger, title, subject, text, values, has_button in DEFAULTS:
        with translation.override(settings.LANGUAGE_CODE):
            template: dict[str, Any] = {"trigger": trigger, "title": gettext(title), **FIELDS.get(trigger, {})}
            template.update(_version(subject, text, values, has_button))
        template["variants"] = []
        for language in others:
            with translation.override(language):
                template["variants"].append({"language": language, **_version(subject, text, values, has_button)})
        result.append(template)
    return result
