"""Django REST framework, simplejwt and drf-spectacular."""

import datetime as dt

# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.users.api.authentication.ApiTokenAuthentication",
        "crm.users.api.authentication.PortalJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.core.api.permissions.StaffModelPermissions"],
    # JSON bodies only; an upload action opts in to crm.core.api.parsers.MultiPartParser (see that module).
    "DEFAULT_PARSER_CLASSES": ["crm.core.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "crm.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "crm.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "crm.core.api.throttling.AnonRateThrottle",
        "crm.core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/minute",
        "user": "1200/minute",
        "auth": "10/minute",
        "signup_code": "30/minute",
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# How each audience router's viewsets authenticate (crm.core.api.routers); views outside the routers (public
# and compatibility endpoints, signed file links) use DEFAULT_AUTHENTICATION_CLASSES or their own.
API_AUDIENCE_AUTHENTICATION = {
    "backoffice": [
        "crm.users.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "portal": ["crm.users.api.authentication.PortalJWTAuthentication"],
    "affiliate": [
        "crm.users.api.authentication.PortalJWTAuthentication",
        "crm.affiliates.api.authentication.AffiliateKeyAuthentication",
    ],
}

# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
# Portal (client) sessions: short access tokens, rotating refresh tokens; a used or logged-out refresh
# token is blacklisted.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": dt.timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": dt.timedelta(days=14),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # A password change or reset ends every access token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Broker Back Office API",
    "DESCRIPTION": (
        "Back-office, client-portal and affiliate APIs of the broker back office. "
        "Lists are paginated with `limit` and `offset` (a few short lists answer a plain array, as their "
        "schema shows); request bodies are JSON, uploads multipart form data; every error has the body "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    # 3.1: a nullable field is a "null" type, which every generator reads the same way.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    # crm.core.api.schema_hooks: rules every operation follows, whoever adds it.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.core.api.schema_hooks.declare_servers",
        "crm.core.api.schema_hooks.open_operations_need_no_credentials",
        "crm.core.api.schema_hooks.nullable_as_null_type",
        "crm.core.api.schema_hooks.request_defaults_in_descriptions",
        "crm.core.api.schema_hooks.name_inline_enums",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "django_countries.countries",
        "PositionCorrectionFieldEnum": "crm.trading.models.PositionCorrection.Field",
        "FieldEnum": "crm.customers.portal_models.PORTAL_FIELDS",  # pinned: other `field` enums came later
        "EmailCategoryEnum": "crm.communications.models.EmailTemplate.Category",
        "EmailProviderEnum": "crm.communications.providers.Provider",
        "EmailMessageStatusEnum": "crm.communications.models.EmailMessage.Status",
        "DocumentTypeEnum": "crm.customers.models.Document.Type",
        "CustomerStatusEnum": "crm.customers.models.Customer.Status",
        "DocumentStatusEnum": "crm.customers.models.Document.Status",
        "KycStatusEnum": "crm.customers.models.Customer.KycStatus",
        "OnboardingStepEnum": "crm.customers.portal_models.OnboardingStep",
        "OnboardingStageEnum": "crm.customers.portal_models.OnboardingStage",
        "LoginResultEnum": "crm.users.models.LoginRecord.Result",
        "LoginReasonEnum": "crm.users.models.LoginRecord.Reason",
        "KycProviderEnum": "crm.customers.kyc_providers.PROVIDER_CHOICES",
        "TransactionTypeEnum": "crm.wallets.models.Transaction.Type",
        "TransactionStatusEnum": "crm.wallets.models.Transaction.Status",
        "MovementTypeEnum": "crm.wallets.api.serializers.MOVEMENT_TYPES",
        "WalletTypeEnum": "crm.wallets.models.Wallet.Type",
        "BackApiAccountTypeEnum": "crm.trading.compat.backoffice.accounts.ACCOUNT_TYPES",
        "PlatformTypeEnum": "crm.wallets.models.Platform.Type",
        "AccountGroupTypeEnum": "crm.wallets.models.AccountGroup.Type",
        "PaymentDirectionEnum": "crm.payments.models.Direction",
        "WebhookEventStatusEnum": "crm.payments.models.WebhookEvent.Status",
        "AffiliateStatusEnum": "crm.affiliates.models.Affiliate.Status",
        "CommissionStatusEnum": "crm.affiliates.models.CommissionLedger.Status",
        "CommissionKindEnum": "crm.affiliates.models.CommissionRule.Kind",
        "CurrencyKindEnum": "crm.wallets.models.Currency.Kind",
        "CommissionActionTypeEnum": "crm.affiliates.models.commissions.ActionType",
        "PayoutRequestStatusEnum": "crm.affiliates.models.PayoutRequest.Status",
        "ReportKindEnum": "crm.reports.models.ReportKind",
        "ReportRunStatusEnum": "crm.reports.models.ReportRun.Status",
        "ReportFormatEnum": "crm.reports.models.ReportFormat",
        "ReportFrequencyEnum": "crm.reports.models.ReportTemplate.Frequency",
        "AdminNotificationTypeEnum": "crm.reports.models.AdminNotificationType",
        "CalcModeEnum": "crm.trading.models.CalcMode",
        "SwapModeEnum": "crm.trading.models.SwapMode",
        "InstrumentCategoryEnum": "crm.trading.models.Instrument.Category",
        "MarketTypeEnum": "crm.trading.models.Instrument.MarketType",
        "TradeSideEnum": "crm.trading.models.Side",
        "OrderTypeEnum": "crm.trading.models.Order.Type",
        "OrderStatusEnum": "crm.trading.models.Order.Status",
        "TimeInForceEnum": "crm.trading.models.Order.TimeInForce",
        "PositionStatusEnum": "crm.trading.models.Position.Status",
        "CloseReasonEnum": "crm.trading.models.Position.CloseReason",
        "CommissionFeeTypeEnum": "crm.trading.models.FeeType",
        "TradingAssetTypeEnum": "crm.trading.models.Asset.Type",
        "TradingAssetSourceEnum": "crm.trading.models.Asset.Source",
        "PlatformAdapterTypeEnum": "crm.trading.models.PlatformAdapter.Type",
        "DealEntryEnum": "crm.trading.models.Deal.Entry",
        # Seed 001's trader API (crm.trading.compat): the value sets chosen for enums the seed shows by one example.
        "TraderSideEnum": "crm.trading.compat.enums.Side",
        "TraderOrderTypeEnum": "crm.trading.compat.enums.OrderType",
        "TraderTimeInForceEnum": "crm.trading.compat.enums.TimeInForce",
        "TraderOrderStatusEnum": "crm.trading.compat.enums.OrderStatus",
        "TraderOrderSourceEnum": "crm.trading.compat.enums.OrderSource",
        "TraderReasonEnum": "crm.trading.compat.enums.Reason",
        "TraderMarketTypeEnum": "crm.trading.compat.enums.MarketType",
        "TraderMarketSubtypeEnum": "crm.trading.compat.enums.MarketSubtype",
        "TraderSwapTypeEnum": "crm.trading.compat.enums.SwapType",
        "TraderDayOfWeekEnum": "crm.trading.compat.enums.DayOfWeek",
        "TraderTriggerTypeEnum": "crm.trading.compat.enums.TriggerType",
        "TraderAccountTypeEnum": "crm.trading.compat.enums.AccountType",
        "TraderWidgetTypeEnum": "crm.trading.compat.ui.WidgetType",
        "BackApiMarketStatusEnum": "crm.trading.compat.enums.MarketStatus",
        "BackApiFileJobStatusEnum": "crm.trading.compat.enums.FileJobStatus",
        "BackApiMarketSortFieldEnum": "crm.trading.compat.enums.MarketSortField",
        "BackApiSortDirectionEnum": "crm.trading.compat.enums.SortDirection",
        "PriceAlertConditionEnum": "crm.trading.models.PriceAlert.Condition",
        "TraderNotificationTypeEnum": "crm.trading.models.TraderNotification.Type",
        "CandleIntervalEnum": "crm.trading.models.CandleInterval",
        # Seed 001's history server (crm.reports.history).
        "TransferTypeEnum": "crm.reports.history.serializers.TRANSFER_TYPE_VALUES",
        "TransferStatusEnum": "crm.reports.history.serializers.TRANSFER_STATUS_VALUES",
        "HistoryClientStatusEnum": "crm.reports.history.serializers.CLIENT_STATUS_CHOICES",
        "HistoryFilterOperatorEnum": "crm.reports.history.query.Operator",
        "HistorySortDirectionEnum": "crm.reports.history.query.Direction",
        "HistoryReportSourceEnum": "crm.reports.history.jobs.SourceName",
        "HistoryReportFormatEnum": "crm.reports.history.jobs.FileFormat",
        "HistoryReportStatusEnum": "crm.reports.history.jobs.StatusType",
        "HistoryReportFrequencyEnum": "crm.reports.history.jobs.Frequency",
        "MessageTypeEnum": "crm.communications.models.MessageType",
        "GroupMessageAudienceEnum": "crm.communications.models.GroupMessage.Audience",
        "PushTopicEnum": "crm.communications.models.PushTopic",
        "PushNotificationStatusEnum": "crm.communications.models.PushNotification.Status",
        "ProviderCallStatusEnum": "crm.communications.models.ProviderCall.Status",
        "VoipProviderCodeEnum": "crm.communications.models.VoipProvider.Code",
        "TextMessageStatusEnum": "crm.communications.models.TextMessage.Status",
        "SmsProviderKindEnum": "crm.communications.models.SmsProvider.Kind",
    },
}
