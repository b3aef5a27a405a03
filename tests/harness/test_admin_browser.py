"""The admin in a real browser: each staff role logs in through the log-in form, sees only its menus, opens its
main lists and detail pages without a server error and is refused the areas it lacks; a sales manager runs a
bulk action end to end. Full-page screenshots go to test-artifacts/browser/ (or $BROWSER_ARTIFACTS).

Playwright drives Debian's Chromium (`/usr/bin/chromium`); without it the module is skipped, and with
REQUIRE_SERVICES=1 (CI) it fails instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from crm.core.roles import Role
from crm.customers.models import Customer
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import CustomerFactory, DocumentFactory
from tests.harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SERVER_ERROR,
    MenuLink,
    artifacts_dir,
    chromium_missing_reason,
    expected_menu,
    expected_sections,
    role_has_perm,
    slug,
)
from tests.sales.factories import LeadFactory
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import TransactionFactory, WalletFactory

MISSING = chromium_missing_reason()
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
PASSWORD = "browser-test password"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason=MISSING or ""),
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module.

    Playwright's sync API keeps an event loop in this thread, so Django would refuse ORM calls from the tests
    (and the database flush after each one) as async-unsafe; nothing here runs concurrently, so allow them.
    """
    if MISSING:
        pytest.fail(f"{MISSING}; REQUIRE_SERVICES=1 makes this a failure")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@dataclass
class Tab:
    """One page in its own browser context, with the server errors and script errors it met."""

    page: object
    base_url: str
    label: str = "anonymous"
    server_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)

    def open(self, url: str):
        """Open a page; it must answer below 400 and show no server error."""
        response = self.page.goto(self.base_url + url)
        assert response is not None, url
        assert response.status < 400, f"{url} answered {response.status}"
        assert not SERVER_ERROR.search(self.page.content()), f"{url} shows a server error"
        return response

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=artifacts_dir() / f"{slug(self.label)}__{slug(name)}.png", full_page=True)

    def status_of(self, url: str) -> tuple[int, str]:
        """The status and Location of a GET with this session's cookies, redirects not followed."""
        response = self.page.request.get(self.base_url + url, max_redirects=0)
        return response.status, response.headers.get("location", "")


@pytest.fixture
def open_tab(browser, live_server):
    """Opens a fresh browser context (no cookies) with one page, as often as a test needs one."""
    contexts = []

    def open_tab() -> Tab:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        tab = Tab(page, live_server.url)
        page.on("response", lambda r: r.status >= 500 and tab.server_errors.append(f"{r.status} {r.url}"))
        page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def staff(role: Role, **kwargs):
    """A staff member of `role` with a known password and no two-factor device (the log-in asks no code)."""
    user = StaffUserFactory(roles=[role], **kwargs)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def log_in(tab: Tab, user, label: str, *, screenshot: bool = False) -> None:
    """Through the real log-in form; the screenshots that follow are named by `label`."""
    tab.label = label
    tab.open(reverse("admin:login") + "?next=" + reverse("admin:index"))
    tab.page.fill("#id_username", user.email)
    tab.page.fill("#id_password", PASSWORD)
    if screenshot:
        tab.screenshot("login")
    with tab.page.expect_navigation():
        tab.page.click("#login-form button[type=submit]")
    assert tab.page.url == tab.base_url + reverse("admin:index"), tab.page.url


def seed(user) -> dict:
    """A few records the role's pages list: handled by `user`, so every role may see them."""
    customer = CustomerFactory(conversion_agent=user, retention_agent=user)
    wallet = WalletFactory(customer=customer)
    return {
        "customer": customer,
        "lead": LeadFactory(sales_person=user),
        "document": DocumentFactory(customer=customer),
        "wallet": wallet,
        "transaction": TransactionFactory(wallet=wallet),
        "affiliate": AffiliateFactory(customer=CustomerFactory(conversion_agent=user)),
        "staff": StaffUserFactory(roles=[Role.SALES_AGENT], first_name="Colleague"),
    }


# Admin pages by name: the list and the seeded record whose page is opened.
PAGES = {
    "clients": ("admin:customers_customer_changelist", "customer"),
    "leads": ("admin:sales_lead_changelist", "lead"),
    "kyc-documents": ("admin:customers_document_changelist", "document"),
    "transactions": ("admin:wallets_transaction_changelist", "transaction"),
    "wallets": ("admin:wallets_wallet_changelist", "wallet"),
    "affiliates": ("admin:affiliates_affiliate_changelist", "affiliate"),
    "staff": ("admin:users_user_changelist", "staff"),
}
# The main lists: each role opens those in its menu and finds its seeded record there.
MAIN_LISTS = ["clients", "leads", "kyc-documents", "transactions", "wallets", "affiliates"]

# The record page each role opens (one per role; together they cover every page above).
DETAIL_PAGE = {
    Role.ADMIN: "staff",
    Role.SALES_MANAGER: "leads",
    Role.SALES_AGENT: "clients",
    Role.RETENTION_AGENT: "leads",
    Role.COMPLIANCE: "kyc-documents",
    Role.FINANCE: "transactions",
    Role.AFFILIATE_MANAGER: "affiliates",
    Role.DEALER: "wallets",
    Role.SUPPORT: "clients",
}

# Each role's job, written out by hand as a check on the menu worked out from the grants: links it must show
# and links it must not.
MUST_SEE = {
    Role.ADMIN: {"Clients", "Leads", "Transactions", "Affiliates", "API tokens", "Staff"},
    Role.SALES_MANAGER: {"Clients", "Leads", "Lead imports", "Assignment rules", "Desks"},
    Role.SALES_AGENT: {"Clients", "Leads", "My sales desk"},
    Role.RETENTION_AGENT: {"Clients", "Leads"},
    Role.COMPLIANCE: {"Clients", "KYC documents"},
    Role.FINANCE: {"Transactions", "Pending withdrawals", "Journal", "Payout requests"},
    Role.AFFILIATE_MANAGER: {"Affiliates", "Commission review", "Campaigns"},
    Role.DEALER: {"Wallets", "Platforms", "Account groups"},
    Role.SUPPORT: {"Clients", "Portal logins"},
}
MUST_NOT_SEE = {
    Role.SALES_MANAGER: {"Pending withdrawals", "Journal", "API tokens", "Roles", "Commission review"},
    Role.SALES_AGENT: {"Pending withdrawals", "Journal", "API tokens", "Lead imports", "Affiliates", "Staff"},
    Role.RETENTION_AGENT: {"Pending withdrawals", "API tokens", "Affiliates"},
    Role.COMPLIANCE: {"Pending withdrawals", "API tokens", "Affiliates", "Leads"},
    Role.FINANCE: {"Leads", "API tokens", "Commission review", "Staff"},
    Role.AFFILIATE_MANAGER: {"Pending withdrawals", "Journal", "API tokens", "KYC documents"},
    Role.DEALER: {"Leads", "KYC documents", "Pending withdrawals", "API tokens", "Affiliates"},
    Role.SUPPORT: {"Pending withdrawals", "API tokens", "Affiliates", "Lead imports"},
}


def shown_menu(tab: Tab) -> tuple[list[str], set[str], set[str]]:
    """Visible section headings, link titles and link targets of the sidebar as the browser renders it."""
    sidebar = tab.page.locator("#nav-sidebar-apps")
    # A heading's first node is its title; a collapsible one ends with a chevron icon.
    sections = sidebar.locator("h2:visible").evaluate_all("hs => hs.map(h => h.firstChild.textContent.trim())")
    links = sidebar.locator("li > a")
    titles = {text.strip() for text in links.locator("span:not(.material-symbols-outlined)").all_inner_texts()}
    hrefs = set(links.evaluate_all("links => links.map(a => a.getAttribute('href'))"))
    return sections, titles, hrefs


def change_url(changelist: str, record) -> str:
    return reverse(changelist.replace("_changelist", "_change"), args=[record.pk])


def refused(status: int, location: str) -> bool:
    """403/404, or sent to the log-in page."""
    return status in (403, 404) or (status == 302 and location.startswith(reverse("admin:login")))


def check_role(tab: Tab, role: Role) -> None:
    user = staff(role)
    records = seed(user)
    menu = expected_menu(role)
    visible = [link for link in menu if link.visible]
    visible_paths = {link.path for link in visible}

    log_in(tab, user, role)
    if role_has_perm(role, "customers.view_customer"):  # the dashboard's charts of the clients in scope
        assert "Clients by KYC status" in tab.page.inner_text("#content")
    tab.screenshot("dashboard")
    sections, titles, hrefs = shown_menu(tab)

    assert sections == expected_sections(menu)
    assert hrefs == {link.href for link in visible}
    assert titles == {link.title for link in visible}
    assert MUST_SEE[role] <= titles
    assert not MUST_NOT_SEE.get(role, set()) & titles

    main = [name for name in MAIN_LISTS if reverse(PAGES[name][0]) in visible_paths]
    assert main, "none of the main lists is in the menu"
    for name in main:
        url_name, key = PAGES[name]
        tab.open(reverse(url_name))
        assert tab.page.locator(f"#result_list a[href='{change_url(url_name, records[key])}']").count() == 1, name
        tab.screenshot(name)

    url_name, key = PAGES[DETAIL_PAGE[role]]
    assert reverse(url_name) in visible_paths
    record = records[key]
    tab.open(change_url(url_name, record))
    assert tab.page.locator(f"form#{record._meta.model_name}_form").count() == 1
    assert str(record) in tab.page.inner_text("body")
    tab.screenshot(f"{DETAIL_PAGE[role]}-detail")

    # In each menu section, the first link whose page the role lacks is refused. A link hidden from the role
    # whose page a visible link reaches is not an area it lacks: "Pending withdrawals" filters "Transactions".
    lacking: dict[str, MenuLink] = {}
    for link in menu:
        if link.path not in visible_paths:
            lacking.setdefault(link.section, link)
    assert lacking or role == Role.ADMIN
    for link in lacking.values():
        assert refused(*tab.status_of(link.href)), f"{link.title} ({link.href}) is not refused"
    for link in list(lacking.values())[:1]:
        assert tab.page.goto(tab.base_url + link.href).status in (403, 404)
        tab.screenshot("refused")
    assert tab.server_errors == []
    assert tab.page_errors == []


def test_each_role_sees_only_its_menus_and_pages(open_tab):
    """One test for the nine roles, each in its own browser context: the database flush after a live-server
    test costs seconds on PostgreSQL, so the roles share one. Every role is checked; failures are listed by role."""
    failures = {}

    for role in Role:
        try:
            check_role(open_tab(), role)
        except AssertionError as error:
            failures[role.value] = error

    assert not failures, "\n\n".join(f"{role}: {error}" for role, error in failures.items())


def test_sales_manager_assigns_selected_clients_to_an_agent(open_tab):
    tab = open_tab()
    manager = staff(Role.SALES_MANAGER)
    agent = staff(Role.SALES_AGENT, first_name="Assignee", last_name="Agent")
    first, second, untouched = CustomerFactory.create_batch(3)

    log_in(tab, manager, "sales-manager-bulk-action", screenshot=True)
    tab.open(reverse("admin:customers_customer_changelist"))
    for customer in (first, second):
        tab.page.check(f"#result_list input[name=_selected_action][value='{customer.pk}']")
    tab.page.select_option("select[name=action]", "assign_agents_action")
    tab.screenshot("bulk-assign-selected")
    with tab.page.expect_navigation():
        tab.page.click("#changelist-actions button[type=submit]")
    assert "2 clients are selected." in tab.page.inner_text("#content")
    tab.page.select_option("select[name=conversion_agent]", str(agent.pk))
    tab.screenshot("bulk-assign-confirm")
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]:has-text('Apply')")
    tab.screenshot("bulk-assign-done")

    assert "2 client(s) changed." in tab.page.inner_text("body")
    agents = dict(Customer.objects.values_list("pk", "conversion_agent_id"))
    assert agents == {first.pk: agent.pk, second.pk: agent.pk, untouched.pk: None}
    assert tab.server_errors == []
    assert tab.page_errors == []


def test_a_staff_member_who_speaks_arabic_works_right_to_left(open_tab):
    """The staff member's language (not the browser's English) lays the admin out right to left, in Arabic."""
    user = staff(Role.SALES_MANAGER, language="ar")
    records = seed(user)
    tab = open_tab()
    log_in(tab, user, "sales manager in Arabic")

    html = tab.page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    _sections, titles, _hrefs = shown_menu(tab)
    assert {"العملاء", "العملاء المحتملون", "المكاتب"} <= titles  # Clients, Leads, Desks
    tab.screenshot("dashboard")

    tab.open(reverse("admin:customers_customer_changelist"))
    assert tab.page.locator("html").get_attribute("dir") == "rtl"
    tab.screenshot("clients")
    tab.open(change_url("admin:customers_customer_changelist", records["customer"]))
    assert "الملف الشخصي" in tab.page.content()  # the "Profile" tab
    tab.screenshot("client")
    assert tab.server_errors == []
    assert tab.page_errors == []


def test_client_summary_on_the_client_page_the_withdrawal_review_and_the_kyc_review(open_tab):
    from crm.customers import services as customer_services
    from crm.wallets.models import Transaction

    tab = open_tab()
    agent = staff(Role.SALES_AGENT)
    finance = staff(Role.FINANCE)
    compliance = staff(Role.COMPLIANCE)
    customer = CustomerFactory(conversion_agent=agent, first_name="Summary", last_name="Client")
    wallet = WalletFactory(customer=customer, balance="350.00")
    TransactionFactory(wallet=wallet, status="completed", amount="500.00", is_ftd=True)
    TransactionFactory(wallet=wallet, type=Transaction.Type.WITHDRAWAL, status="approved", amount="150.00")
    pending = TransactionFactory(wallet=wallet, type=Transaction.Type.WITHDRAWAL, status="pending", amount="100.00")
    customer_services.log_call(customer, outcome="answered", note="Asked about the withdrawal", actor=agent)
    document = DocumentFactory(customer=customer)

    log_in(tab, agent, "client-summary")
    tab.open(reverse("admin:customers_customer_change", args=[customer.pk]))
    summary = tab.page.inner_text("#client-summary")
    assert "350.00 USD" in summary
    assert "Asked about the withdrawal" in summary
    tab.screenshot("client-page")

    tab = open_tab()
    log_in(tab, finance, "withdrawal-review")
    tab.open(reverse("admin:wallets_transaction_change", args=[pending.pk]))
    summary = tab.page.inner_text("#client-summary")
    assert "500.00 USD" in summary
    assert "350.00 USD" in summary
    tab.screenshot("withdrawal-review")

    tab = open_tab()
    log_in(tab, compliance, "kyc-review")
    tab.open(reverse("admin:customers_document_change", args=[document.pk]))
    assert "Summary Client" in tab.page.inner_text("#kyc-review")
    tab.screenshot("document-beside-client")
    assert tab.server_errors == []
    assert tab.page_errors == []
