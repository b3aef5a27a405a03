"""The admin sidebar: one section per job, each link shown only to roles holding its permission."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject, lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.admin_chrome import keep

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


_PERMISSIONS = "_sidebar_permissions"


def _backends_answer_from_their_sets() -> bool:
    """Whether every authentication backend answers `has_perm` as "in its `get_all_permissions()`" (Django's
    ModelBackend and BaseBackend) or not at all (Axes): then a user's permissions are one set, read once."""
    from django.contrib.auth import get_backends
    from django.contrib.auth.backends import BaseBackend, ModelBackend

    known = {None, BaseBackend.has_perm, ModelBackend.has_perm}
    return all(getattr(type(backend), "has_perm", None) in known for backend in get_backends())


def _permissions(request: HttpRequest) -> frozenset[str] | None:
    """The request's user's permissions, read once per request for the sidebar's ~70 links (each `has_perms`
    walks the backends again, importing each by name); None where the backends answer otherwise, or for a
    user object that is not Django's (`has_perms` answers for it)."""
    from django.contrib.auth.models import PermissionsMixin

    user = request.user
    kept = request.__dict__.get(_PERMISSIONS)
    if kept is None or kept[0] is not user:
        ours = isinstance(user, PermissionsMixin) and _backends_answer_from_their_sets()
        perms = frozenset(user.get_all_permissions()) if ours else None
        kept = (user, perms)
        request.__dict__[_PERMISSIONS] = kept
    return kept[1]


def _user_has_perms(request: HttpRequest, perms: Iterable[str]) -> bool:
    """`user.has_perms(perms)` for an active user, from the set above."""
    user = request.user
    if getattr(user, "is_superuser", False):
        return True
    known = _permissions(request)
    if known is None:
        return user.has_perms(perms)
    return all(perm in known for perm in perms)


def has_perm(*perms: str) -> Callable[[HttpRequest], bool]:
    def check(request: HttpRequest) -> bool:
        return request.user.is_active and _user_has_perms(request, perms)

    _BY_PERMISSIONS.add(check)
    return check


# The sidebar's permission checks whose answer follows from the user's permission set (and flags) alone.
_BY_PERMISSIONS: set[Callable[[HttpRequest], bool]] = set()


def may_see_periodic_tasks(request: HttpRequest) -> bool:
    """Admins (the schedule) and the staff who may run one of the tasks now."""
    from crm.core.roles import collected_run_now

    user = request.user
    perms = ["django_celery_beat.view_periodictask", *collected_run_now().values()]
    return user.is_active and any(_user_has_perms(request, (perm,)) for perm in perms)


_BY_PERMISSIONS.add(may_see_periodic_tasks)


@lru_cache(maxsize=256)
def _url(url_name: str, script_prefix: str) -> str:
    return reverse(url_name)


def _admin_url(url_name: str) -> str:
    return _url(url_name, get_script_prefix())


def _admin_url_with_query(url_name: str, query: str) -> str:
    return _admin_url(url_name) + query


# The sidebar's links, reversed once per process (and script prefix) instead of several times per link per page:
# Unfold reads each link for every page to mark the active one. A link with a query is a lazy text too, not a
# function of the request: Unfold would build a lazy proxy class for it on every page.
admin_url = lazy(_admin_url, str)
admin_url_with_query = lazy(_admin_url_with_query, str)


def lazy_app_list() -> None:
    """Make the admin site's list of apps and models a user may see be built when a template first reads it.

    Django's `each_context` builds it (a permission check and two URLs per registered model) for every admin
    page as `available_apps`; with Unfold's own sidebar (`show_all_applications` off) no template of most pages
    reads it. Called from CoreConfig.ready.
    """
    from django.contrib import admin

    site = admin.site
    build = site.get_app_list
    if getattr(build, "lazy", False):
        return

    def get_app_list(request: HttpRequest, app_label: str | None = None) -> Any:
        return SimpleLazyObject(lambda: build(request, app_label))

    get_app_list.lazy = True  # type: ignore[attr-defined]
    site.get_app_list = get_app_list  # type: ignore[method-assign]  # the same list, built on first use


unfolds_sidebar_methods: dict[str, Any] = {}  # what quick_sidebar_checks replaced (the tests compare)


def _call_permission_callback(site: Any, callback: Any, request: HttpRequest) -> bool:
    if isinstance(callback, str):
        with suppress(ImportError):
            callback = import_string(callback)
    if callable(callback):
        return bool(callback(request) == True)  # noqa: E712 - Unfold's test: a truthy value that is not True denies
    # None, or a name that imports nothing: Unfold's answer.
    return bool(unfolds_sidebar_methods["_call_permission_callback"](site, callback, request))


@lru_cache(maxsize=512)
def _path(url: str) -> str:
    """A link's path (parsed once per link: every page asks each of ~70 links whether it is the page's)."""
    return urlparse(url).path


def _get_is_active(site: Any, request: HttpRequest, link: Any, is_tab: bool = False) -> bool:
    if is_tab:
        return bool(unfolds_sidebar_methods["_get_is_active"](site, request, link, is_tab))
    link_path = _path(str(link))
    index_path = _admin_url(f"{site.name}:index")
    if link_path == request.path == index_path:
        return True  # the dashboard
    return link_path != "" and link_path in request.path and link_path != index_path


class KeptSidebarList(list[dict[str, Any]]):
    """A sidebar list built once for its key (`_sidebar_key`) and given to every page with that key: nothing
    changes it once built (the templates only read it). `renders` keeps what `{% sidebar_apps %}` renders of it,
    per language."""

    __slots__ = ("renders",)

    def __init__(self, groups: list[dict[str, Any]]) -> None:
        super().__init__(groups)
        self.renders: dict[str | None, Any] = {}


# A plain navigation's sidebar list per (permissions, page, prefix).
_SIDEBAR_LISTS: dict[tuple[Any, ...], tuple[Any, KeptSidebarList]] = {}
_SIDEBAR_LISTS_KEPT = 1024  # when full the table starts again
# Whether a navigation (the settings' list) is plain: id -> (navigation, answer).
_PLAIN_NAVIGATIONS: dict[int, tuple[Any, bool]] = {}


def _plain_items(items: Any) -> bool:
    """Whether links' answers follow from the user's permissions, the page and the script prefix alone: checks of
    ours (`has_perm`, `may_see_periodic_tasks`), links that are no functions, no badges, no own active flags."""
    return all(
        isinstance(item, dict)
        and (item.get("permission") is None or item.get("permission") in _BY_PERMISSIONS)
        and not callable(item.get("link"))
        and not {"badge", "active", "items"} & item.keys()
        for item in items
    )


def _plain_navigation(navigation: list[Any]) -> bool:
    """`_plain_items` for each group of the navigation, worked out once per navigation: the settings' list, the
    same object for every page."""
    kept = _PLAIN_NAVIGATIONS.get(id(navigation))
    if kept is None or kept[0] is not navigation:
        plain = all(
            isinstance(group, dict) and "badge" not in group and _plain_items(group.get("items") or ())
            for group in navigation
        )
        kept = (navigation, plain)
        keep(_PLAIN_NAVIGATIONS, id(navigation), kept, 64)
    return kept[1]


def _sidebar_key(navigation: Any, tabs: Any, request: HttpRequest) -> tuple[Any, ...] | None:
    """What a static navigation's sidebar list follows from (see `_plain_items`), or None."""
    if tabs or not isinstance(navigation, list) or not _plain_navigation(navigation):
        return None
    user = request.user
    permissions = None if getattr(user, "is_superuser", False) else _permissions(request)
    if permissions is None and not getattr(user, "is_superuser", False):
        return None
    return (
        id(navigation),  # the settings' list: the same object for every page
        bool(user.is_active),
        bool(getattr(user, "is_superuser", False)),
        permissions,
        request.path,
        get_script_prefix(),
    )


def _get_sidebar_list(site: Any, request: HttpRequest) -> list[dict[str, Any]]:
    # Unfold's, with the navigation's dicts and lists copied instead of deep-copied; where the navigation is a
    # fixed list of our own checks (`_sidebar_key`), built once per permissions, page and script prefix and kept.
    navigation = site._get_value(site._get_config("SIDEBAR", request).get("navigation"), request)
    tabs = site._get_value(site._get_config("TABS", request), request) or []
    key = _sidebar_key(navigation, tabs, request)
    kept = _SIDEBAR_LISTS.get(key) if key is not None else None
    if kept is not None and kept[0] is navigation:  # the key holds its id: the same list, not a later one
        return kept[1]
    results = _built_sidebar_list(site, request, navigation, tabs)
    if key is None:
        return results
    shared = KeptSidebarList(results)
    keep(_SIDEBAR_LISTS, key, (navigation, shared), _SIDEBAR_LISTS_KEPT)
    return shared


def _built_sidebar_list(site: Any, request: HttpRequest, navigation: Any, tabs: Any) -> list[dict[str, Any]]:
    results = []
    for group in _copied(navigation):
        group["items"] = site._get_navigation_items(request, group["items"], tabs)
        if "badge" in group and isinstance(group["badge"], str):
            with suppress(ImportError):
                group["badge_callback"] = lazy(import_string(group["badge"]))(request)
        results.append(group)
    return results


def _copied(value: Any) -> Any:
    """`copy.deepcopy` of the navigation: its dicts and lists copied; the rest of it (texts, lazy texts,
    functions, flags) is immutable, shared as a deep copy shares it."""
    if isinstance(value, dict):
        return {key: _copied(part) for key, part in value.items()}
    if isinstance(value, list):
        return [_copied(part) for part in value]
    return value


def quick_sidebar_checks() -> None:
    """Make Unfold's sidebar ask each link's permission and active state without building a lazy class per link.

    For every link on every admin page Unfold called `lazy(callback)(request) == True`: `lazy()` defines a proxy
    class at each call (70 classes a page, the largest part of the sidebar's cost), only for `==` to call the
    callback at once. Its active-link test reversed the admin index twice per link, and the navigation was
    deep-copied for every page. The same answers: the callback called directly and compared as Unfold compares
    it; the index reversed once per script prefix, as the links are; the navigation's dicts and lists copied.
    Called from CoreConfig.ready.
    """
    from unfold.sites import UnfoldAdminSite

    if unfolds_sidebar_methods:
        return
    replacements = {
        "_call_permission_callback": _call_permission_callback,
        "_get_is_active": _get_is_active,
        "get_sidebar_list": _get_sidebar_list,
    }
    for name, method in replacements.items():
        unfolds_sidebar_methods[name] = getattr(UnfoldAdminSite, name)
        setattr(UnfoldAdminSite, name, method)


def link(title: StrOrPromise, icon: str, url_name: str, perm: str) -> dict[str, Any]:
    return {"title": title, "icon": icon, "link": admin_url(url_name), "permission": has_perm(perm)}


def environment_callback(request: HttpRequest) -> list[str]:
    if settings.DEBUG:
        return [gettext("Development"), "warning"]
    return (
        [gettext("Production"), "danger"]
        if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else [gettext("Demo"), "info"]
    )


navigation = [
    {
        "title": _("Overview"),
        "separator": False,
        "items": [
            {"title": _("Dashboard"), "icon": "dashboard", "link": admin_url("admin:index")},
            link(_("Reports"), "analytics", "admin:reports_reportrun_changelist", "reports.view_reportrun"),
            link(
                _("Report schedules"),
                "schedule_send",
                "admin:reports_reporttemplate_changelist",
                "reports.view_reporttemplate",
            ),
        ],
    },
    {
        "title": _("Clients"),
        "separator": True,
        "collapsible": False,
        "items": [
            link(_("Clients"), "group", "admin:customers_customer_changelist", "customers.view_customer"),
            {
                "title": _("My bookmarks"),
                "icon": "bookmark",
                "link": admin_url_with_query("admin:customers_customer_changelist", "?bookmarked=me"),
                "permission": has_perm("customers.view_bookmark"),
            },
            link(_("KYC documents"), "badge", "admin:customers_document_changelist", "customers.view_document"),
            link(_("Comments"), "comment", "admin:customers_comment_changelist", "customers.view_comment"),
            link(_("Sales statuses"), "label", "admin:customers_salesstatus_changelist", "customers.view_salesstatus"),
        ],
    },
    {
        "title": _("Sales"),
        "separator": True,
        "collapsible": False,
        "items": [
            link(_("My sales desk"), "space_dashboard", "admin:sales_lead_dashboard", "sales.view_lead"),
            link(_("Leads"), "person_search", "admin:sales_lead_changelist", "sales.view_lead"),
            link(_("Lead imports"), "upload_file", "admin:sales_leadimport_changelist", "sales.import_leads"),
            link(
                _("Assignment rules"),
                "alt_route",
                "admin:sales_assignmentrule_changelist",
                "sales.view_assignmentrule",
            ),
            link(_("Desks"), "groups", "admin:users_desk_changelist", "users.view_desk"),
        ],
    },
    {
        "title": _("Money"),
        "separator": True,
        "collapsible": False,
        "items": [
            {
                "title": _("Pending withdrawals"),
                "icon": "pending_actions",
                "link": admin_url_with_query(
                    "admin:wallets_transaction_changelist", "?status__exact=pending&type__exact=WITHDRAWAL"
                ),
                "permission": has_perm("wallets.view_transaction", "wallets.approve_transaction"),
            },
            link(
                _("Transactions"), "receipt_long", "admin:wallets_transaction_changelist", "wallets.view_transaction"
            ),
            {
                "title": _("Payouts to follow up"),
                "icon": "money_off",
                "link": admin_url_with_query("admin:payments_payout_changelist", "?needs_finance=yes"),
                "permission": has_perm("payments.view_payout"),
            },
            link(_("Wallets"), "account_balance_wallet", "admin:wallets_wallet_changelist", "wallets.view_wallet"),
            link(_("Journal"), "menu_book", "admin:wallets_journalentry_changelist", "wallets.view_journalentry"),
            {
                "title": _("Provider contradictions"),
                "icon": "report",
                "link": admin_url_with_query("admin:payments_providercontradiction_changelist", "?to_review=yes"),
                "permission": has_perm("payments.view_providercontradiction"),
            },
            link(
                _("Provider webhooks"),
                "webhook",
                "admin:payments_webhookevent_changelist",
                "payments.view_webhookevent",
            ),
            link(
                _("Whitelisted addresses"),
                "verified",
                "admin:payments_whitelistedaddress_changelist",
                "payments.view_whitelistedaddress",
            ),
        ],
    },
    {
        "title": _("Communications"),
        "separator": True,
        "collapsible": False,
        "items": [
            link(
                _("Email templates"),
                "mail",
                "admin:communications_emailtemplate_changelist",
                "communications.view_emailtemplate",
            ),
            link(
                _("Sent emails"),
                "outgoing_mail",
                "admin:communications_emailmessage_changelist",
                "communications.view_emailmessage",
            ),
            link(
                _("Email opt-outs"),
                "unsubscribe",
                "admin:communications_emailoptout_changelist",
                "communications.view_emailoptout",
            ),
            link(_("Email provider"), "settings", "admin:communications_email_provider", "core.change_setting"),
            link(
                _("Email webhooks"),
                "webhook",
                "admin:communications_emailwebhook_changelist",
                "communications.view_emailwebhook",
            ),
        ],
    },
    {
        "title": _("Affiliates"),
        "separator": True,
        "collapsible": False,
        "items": [
            link(_("Affiliates"), "handshake", "admin:affiliates_affiliate_changelist", "affiliates.view_affiliate"),
            {
                "title": _("Commission review"),
                "icon": "fact_check",
                "link": admin_url_with_query("admin:affiliates_commissionledger_changelist", "?status__exact=PENDING"),
                "permission": has_perm("affiliates.view_commissionledger", "affiliates.review_commission"),
            },
            link(
                _("Commission ledger"),
                "receipt",
                "admin:affiliates_commissionledger_changelist",
                "affiliates.view_commissionledger",
            ),
            link(
                _("Payout requests"),
                "payments",
                "admin:affiliates_payoutrequest_changelist",
                "affiliates.view_payoutrequest",
            ),
            link(
                _("Commission plans"),
                "account_tree",
                "admin:affiliates_commissionmodel_changelist",
                "affiliates.view_commissionmodel",
            ),
            link(
                _("Flagged sign-ups"),
                "flag",
                "admin:affiliates_attributionflag_changelist",
                "affiliates.view_attributionflag",
            ),
            link(_("Campaigns"), "campaign", "admin:affiliates_campaign_changelist", "affiliates.view_campaign"),
            link(_("Buckets"), "inventory_2", "admin:affiliates_bucket_changelist", "affiliates.view_bucket"),
            link(_("Banners"), "image", "admin:affiliates_banner_changelist", "affiliates.view_banner"),
            link(_("Landing pages"), "web", "admin:affiliates_landingpage_changelist", "affiliates.view_landingpage"),
            link(
                _("Target groups"),
                "groups_2",
                "admin:affiliates_targetgroup_changelist",
                "affiliates.view_targetgroup",
            ),
        ],
    },
    {
        "title": _("Trading"),
        "separator": True,
        "collapsible": False,
        "items": [
            link(_("Positions"), "candlestick_chart", "admin:trading_position_changelist", "trading.view_position"),
            link(_("Exposure"), "balance", "admin:trading_position_exposure", "trading.view_exposure"),
            link(_("Orders"), "pending", "admin:trading_order_changelist", "trading.view_order"),
            link(_("Deals"), "swap_horiz", "admin:trading_deal_changelist", "trading.view_deal"),
            link(_("Instruments"), "show_chart", "admin:trading_instrument_changelist", "trading.view_instrument"),
            link(
                _("Group trading settings"),
                "tune",
                "admin:trading_grouptradingsettings_changelist",
                "trading.view_grouptradingsettings",
            ),
            link(_("Quotes"), "monitoring", "admin:trading_quote_changelist", "trading.view_quote"),
        ],
    },
    {
        "title": _("Payments and currencies"),
        "separator": True,
        "collapsible": True,
        "items": [
            link(_("Currencies"), "currency_exchange", "admin:wallets_currency_changelist", "wallets.view_currency"),
            link(
                _("Exchange rates"),
                "trending_up",
                "admin:wallets_exchangerate_changelist",
                "wallets.view_exchangerate",
            ),
            link(
                _("Conversion paths"),
                "route",
                "admin:wallets_currencyconversion_changelist",
                "wallets.view_currencyconversion",
            ),
            link(
                _("Payment providers"),
                "payments",
                "admin:payments_paymentprovider_changelist",
                "payments.view_paymentprovider",
            ),
            link(
                _("Payment methods"),
                "credit_card",
                "admin:payments_paymentmethod_changelist",
                "payments.view_paymentmethod",
            ),
            link(
                _("Deposit and withdrawal groups"),
                "category",
                "admin:payments_paymentmethodgroup_changelist",
                "payments.view_paymentmethodgroup",
            ),
            link(_("Platforms"), "dns", "admin:wallets_platform_changelist", "wallets.view_platform"),
            link(
                _("Account groups"), "workspaces", "admin:wallets_accountgroup_changelist", "wallets.view_accountgroup"
            ),
        ],
    },
    {
        "title": _("Configuration"),
        "separator": True,
        "collapsible": True,
        "items": [
            link(_("Countries"), "public", "admin:customers_country_changelist", "customers.view_country"),
            link(_("Client types"), "category", "admin:customers_clienttype_changelist", "customers.view_clienttype"),
            link(
                _("Verification levels"),
                "verified_user",
                "admin:customers_verificationlevel_changelist",
                "customers.view_verificationlevel",
            ),
            link(_("Client groups"), "sell", "admin:customers_clientgroup_changelist", "customers.view_clientgroup"),
            link(
                _("Onboarding steps"),
                "checklist",
                "admin:customers_onboardingstepconfiguration_changelist",
                "customers.view_onboardingstepconfiguration",
            ),
            link(
                _("Portal form fields"),
                "dynamic_form",
                "admin:customers_customerfieldconfiguration_changelist",
                "customers.view_customerfieldconfiguration",
            ),
            link(_("KYC webhooks"), "webhook", "admin:customers_kycwebhook_changelist", "customers.view_kycwebhook"),
            link(_("Settings"), "tune", "admin:core_setting_changelist", "core.view_setting"),
        ],
    },
    {
        "title": _("Staff and access"),
        "separator": True,
        "collapsible": True,
        "items": [
            link(_("Staff"), "badge", "admin:users_user_changelist", "users.view_user"),
            link(_("Roles"), "shield_person", "admin:auth_group_changelist", "auth.view_group"),
            link(_("API tokens"), "key", "admin:users_apitoken_changelist", "users.view_apitoken"),
            # Every staff member sets up their own authenticator app.
            {"title": _("My two-factor"), "icon": "security", "link": admin_url("admin:users_two_factor")},
            link(
                _("Two-factor devices"),
                "phonelink_lock",
                "admin:otp_totp_totpdevice_changelist",
                "otp_totp.view_totpdevice",
            ),
            link(_("Login failures"), "lock", "admin:axes_accessattempt_changelist", "axes.view_accessattempt"),
            link(_("Portal logins"), "login", "admin:users_loginrecord_changelist", "users.view_loginrecord"),
            link(_("Client devices"), "devices", "admin:users_device_changelist", "users.view_device"),
        ],
    },
    {
        "title": _("System"),
        "separator": True,
        "collapsible": True,
        "items": [
            link(_("Activity log"), "history", "admin:core_activity_changelist", "core.view_activity"),
            link(_("Exports"), "download", "admin:core_exportjob_changelist", "core.view_exportjob"),
            link(_("Event outbox"), "outbox", "admin:core_outboxevent_changelist", "core.view_outboxevent"),
            {
                "title": _("Periodic tasks"),
                "icon": "schedule",
                "link": admin_url("admin:django_celery_beat_periodictask_changelist"),
                "permission": may_see_periodic_tasks,
            },
        ],
    },
]
