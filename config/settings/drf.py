"""Django REST framework and drf-spectacular."""

# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.users.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.core.api.permissions.StaffModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "1200/minute", "auth": "10/minute"},
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Broker Back Office API",
    "DESCRIPTION": (
        "Back-office, client-portal and affiliate APIs of the broker back office. "
        "Lists are paginated with `limit` and `offset`; every error has the body "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "crm.customers.models.Customer.Status",
        "DocumentStatusEnum": "crm.customers.models.Document.Status",
        "TransactionTypeEnum": "crm.wallets.models.Transaction.Type",
        "TransactionStatusEnum": "crm.wallets.models.Transaction.Status",
        "MovementTypeEnum": "crm.wallets.api.serializers.MOVEMENT_TYPES",
        "WalletTypeEnum": "crm.wallets.models.Wallet.Type",
        "PlatformTypeEnum": "crm.wallets.models.Platform.Type",
        "AccountGroupTypeEnum": "crm.wallets.models.AccountGroup.Type",
        "PaymentDirectionEnum": "crm.payments.models.Direction",
        "WebhookEventStatusEnum": "crm.payments.models.WebhookEvent.Status",
    },
}
