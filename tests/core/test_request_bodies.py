"""Issue 11, findings 4 and 5: bodies that cannot be read within limits are a 400 or 413 in the caller's error
shape (the API's `{"error": ...}`, the seed's body on the seed-003 routes), never a 500 or an HTML page, DEBUG
or not. tests/harness/test_request_limits.py sends the nested body to every JSON route."""

import hashlib
import hmac

import pytest
from django.urls import reverse

from crm.core.services import set_setting
from crm.customers.models import KycWebhook
from crm.payments.adapters import get_adapter
from crm.payments.models import WebhookEvent
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.payments.factories import PaymentProviderFactory

pytestmark = pytest.mark.django_db
NESTED = b"[" * 50_000 + b"]" * 50_000  # 100 KB of nested brackets, as the tester sent
BUCKETS = "/api/public/buckets/1/2/leads"
TRADERSROOM = "/tradersroom/api/auth/signup"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def client_of_portal(api_client):
    bearer(api_client, PortalCustomerFactory())
    return api_client


def _post(api_client, url, body, method="post", content_type="application/json", **extra):
    return getattr(api_client, method)(url, data=body, content_type=content_type, **extra)


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (reverse("portal:account-profile"), "patch"),
        (reverse("portal:withdrawal-list"), "post"),
        (reverse("portal:transfer-list"), "post"),
    ],
)
def test_deeply_nested_json_is_a_400_in_the_api_error_body(client_of_portal, debug, url, method):
    response = _post(client_of_portal, url, NESTED, method=method)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "parse_error"
    assert "nested deeper than" in response.json()["error"]["message"]


def test_nesting_up_to_the_limit_is_read(client_of_portal):
    body = b'{"first_name": "Jane", "x": ' + b"[" * 60 + b"]" * 60 + b"}"

    response = _post(client_of_portal, reverse("portal:account-profile"), body, method="patch")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (BUCKETS, {"message": "Request body must be JSON", "statusCode": 400}),
        (BUCKETS + "/3", {"message": "Request body must be JSON", "statusCode": 400}),
        (TRADERSROOM, {"message": "Email, phone and first name are required", "providerStatus": 400}),
    ],
)
def test_deeply_nested_json_on_the_seed_routes_answers_the_seed_body(api_client, debug, url, body, seed_callers):
    response = _post(api_client, url, NESTED, **seed_callers[url.split("/")[1]])

    assert (response.status_code, response.json()) == (400, body)


@pytest.fixture
def seed_callers():
    """Credentials each seed-003 route accepts (the body is read after the caller is known)."""
    from django.contrib.auth.models import Permission

    from tests.users.factories import ApiTokenFactory

    token = ApiTokenFactory()
    token.user.user_permissions.add(
        Permission.objects.get(codename="view_own_buckets"), Permission.objects.get(codename="add_customer")
    )
    return {"api": {"HTTP_AUTHORIZATION": token.raw_key}, "tradersroom": {"HTTP_X_API_KEY": token.raw_key}}


def test_a_json_body_over_the_upload_limit_is_a_413_in_the_api_error_body(client_of_portal, settings, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"first_name": "' + b"x" * 2000 + b'"}'

    response = _post(client_of_portal, reverse("portal:account-profile"), body, method="patch")

    assert response.status_code == 413
    assert response.json()["error"] == {"code": "too_large", "message": "The request body is too large."}


def test_a_multipart_body_with_too_much_field_data_is_a_413(client_of_portal, settings, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client_of_portal.put(reverse("portal:account-picture"), {"note": "x" * 2000}, format="multipart")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_multipart_body_with_too_many_fields_is_a_400(client_of_portal, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = client_of_portal.put(
        reverse("portal:account-picture"), {f"f{n}": "1" for n in range(20)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_the_seed_routes_answer_a_413_in_their_own_body(api_client, settings, seed_callers):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"emails": ["' + b"x" * 2000 + b'"]}'

    buckets = _post(api_client, BUCKETS, body, **seed_callers["api"])
    signup = _post(api_client, TRADERSROOM, body, **seed_callers["tradersroom"])

    assert (buckets.status_code, buckets.json()) == (
        413,
        {"message": "The request body is too large.", "statusCode": 413},
    )
    assert (signup.status_code, signup.json()) == (
        413,
        {"message": "The request body is too large.", "providerStatus": 413},
    )


def test_a_webhook_over_the_upload_limit_answers_json_not_a_page(api_client, settings, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    provider = PaymentProviderFactory()

    response = _post(api_client, f"/webhooks/{provider.code}/", b"{" + b" " * 5000 + b"}")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_large"
    assert not WebhookEvent.objects.exists()


def test_a_signed_nested_sumsub_webhook_is_refused_not_a_crash(api_client):
    set_setting("sumsub.webhook_secret_key", "whsec", is_secret=True)
    digest = hmac.new(b"whsec", NESTED, hashlib.sha256).hexdigest()

    response = _post(api_client, "/webhooks/sumsub/", NESTED, HTTP_X_PAYLOAD_DIGEST=digest)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_body")
    assert not KycWebhook.objects.exists()


def test_a_refused_host_on_an_api_path_answers_json(client, settings):
    settings.ALLOWED_HOSTS = ["backoffice.example.com"]

    response = client.get("/api/health/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_signed_nested_provider_webhook_is_kept_failed_and_refused(api_client, debug):
    provider = PaymentProviderFactory()
    signature = get_adapter(provider).sign(NESTED)

    response = _post(api_client, f"/webhooks/{provider.code}/", NESTED, HTTP_X_SANDBOX_SIGNATURE=signature)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_body")
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.FAILED


def test_other_refusals_django_raises_in_a_view_answer_api_callers_json():
    from django.core.exceptions import TooManyFieldsSent
    from django.test import RequestFactory

    from crm.core.middleware import ApiBodyErrorMiddleware

    middleware = ApiBodyErrorMiddleware(lambda request: None)
    api = middleware.process_exception(RequestFactory().post("/webhooks/sumsub/"), TooManyFieldsSent("many"))
    page = middleware.process_exception(RequestFactory().post("/admin/login/"), TooManyFieldsSent("many"))

    assert api.status_code == 400
    assert api["Content-Type"] == "application/json"
    assert page is None  # the site's own 400 page


@pytest.mark.parametrize("url", [reverse("payments:webhook", args=["sandbox"]), "/api/health/"])
def test_an_uncaught_error_under_the_api_paths_is_a_json_500_never_the_debug_page(client, debug, url, monkeypatch):
    from crm.core.api import views
    from crm.payments import views as payment_views

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    PaymentProviderFactory(code="sandbox")
    monkeypatch.setattr(payment_views.services, "receive_webhook", broken)
    monkeypatch.setattr(views, "Response", broken)  # the health view (a DRF view) fails as it answers
    client.raise_request_exception = False

    response = client.post(url, data=b"{}", content_type="application/json") if "webhooks" in url else client.get(url)

    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert response.json()["error"]["code"] == "server_error"
    assert b"secret detail" not in response.content
