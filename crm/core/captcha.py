"""reCAPTCHA check for public forms (sign-up, log-in), configured in the settings store.

`recaptcha.site_key` (public), `recaptcha.secret` (secret) and `recaptcha.score` (minimum score of a
v3 answer). With no secret configured the check is off.
"""

from __future__ import annotations

import logging
import urllib.parse
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core import http
from crm.core.exceptions import DomainError
from crm.core.services import get_setting, set_setting
from crm.core.typing import PermissionHolder

logger = logging.getLogger(__name__)
VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"
SITE_KEY = "recaptcha.site_key"
SECRET = "recaptcha.secret"  # noqa: S105 - the setting key, not a secret
SCORE = "recaptcha.score"
DEFAULT_SCORE = Decimal("0.5")


class CaptchaFailed(DomainError):
    code = "captcha_failed"
    status_code = 400


def site_key() -> str:
    return get_setting(SITE_KEY, default="") or ""


def is_enabled() -> bool:
    return bool(get_setting(SECRET, default="")) and bool(site_key())


def verify(token: str | None, *, ip: str | None) -> None:
    """Refuse the request unless reCAPTCHA is off or Google confirms the token (and its score is high enough)."""
    if not is_enabled():
        return
    if not token:
        raise CaptchaFailed(_("Complete the CAPTCHA."), fields={"captcha_token": [_("This field is required.")]})
    form = {"secret": get_setting(SECRET), "response": token}
    if ip:
        form["remoteip"] = ip
    try:
        answer = http.send(
            "POST",
            VERIFY_URL,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urllib.parse.urlencode(form).encode(),
        ).json()
    except (http.ProviderUnavailable, ValueError) as exc:
        logger.warning("reCAPTCHA could not be checked: %s", exc)
        raise CaptchaFailed(_("The CAPTCHA could not be checked; try again.")) from exc
    minimum = Decimal(str(get_setting(SCORE, default=DEFAULT_SCORE)))
    score = answer.get("score") if isinstance(answer, dict) else None
    if not (isinstance(answer, dict) and answer.get("success")) or (
        score is not None and Decimal(str(score)) < minimum
    ):
        raise CaptchaFailed(_("The CAPTCHA was not accepted."), fields={"captcha_token": [_("Not accepted.")]})


@transaction.atomic
def configure_recaptcha(*, site_key: str, secret: str, score: Decimal, actor: PermissionHolder | None = None) -> None:
    """Save the reCAPTCHA settings (000 'Update reCAPTCHA settings'); the secret is encrypted.

    An empty secret turns the check off.
    """
    if not Decimal("0") <= Decimal(score) <= Decimal("1"):
        raise DomainError(_("The score is between 0 and 1."), code="invalid_score", fields={"score": ["0 to 1."]})
    set_setting(SITE_KEY, site_key, actor=actor, description="reCAPTCHA site key (public)")
    set_setting(SECRET, secret, is_secret=True, actor=actor, description="reCAPTCHA secret")
    set_setting(SCORE, Decimal(score), value_type="decimal", actor=actor, description="reCAPTCHA minimum score")
