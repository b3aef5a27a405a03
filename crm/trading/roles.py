"""What each staff role may do on the trading platform: dealers run it, others read it."""

from crm.core.roles import Role

CONFIG_MODELS = [
    "asset", "marketgroup", "marketcategory", "sessionoverride", "downtime", "positionduration", "maxrisk",
    "platformadapter", "commissionprofile", "commissionrule", "fundingrate",
]  # fmt: skip
_READ_CONFIG = [
    "trading.view_instrument",
    "trading.view_quote",
    "trading.view_grouptradingsettings",
    *(f"trading.view_{model}" for model in CONFIG_MODELS if model != "platformadapter"),
]
_MANAGE_CONFIG = [f"trading.{verb}_{model}" for model in CONFIG_MODELS for verb in ("view", "add", "change", "delete")]
_READ_TRADES = [
    *_READ_CONFIG,
    "trading.view_position",
    "trading.view_order",
    "trading.view_deal",
    "trading.view_candle",
    "trading.view_pricealert",
    "trading.view_tradernotification",
    "trading.view_spotfill",
    "trading.view_spotholding",
]

GRANTS = {
    Role.DEALER: [
        *_READ_TRADES,
        *_MANAGE_CONFIG,
        "trading.add_instrument",
        "trading.change_instrument",
        "trading.add_grouptradingsettings",
        "trading.change_grouptradingsettings",
        "trading.view_groupinstrument",
        "trading.add_groupinstrument",
        "trading.change_groupinstrument",
        "trading.delete_groupinstrument",
        "trading.close_position",
        "trading.open_position",
        "trading.change_position",
        "trading.correct_position",
        "trading.change_order",
        "trading.view_exposure",
        "trading.view_marketimport",
    ],
    Role.SALES_AGENT: _READ_TRADES,
    Role.RETENTION_AGENT: _READ_TRADES,
    Role.SALES_MANAGER: _READ_TRADES,
    Role.SUPPORT: _READ_TRADES,
    Role.COMPLIANCE: _READ_TRADES,
    Role.FINANCE: [*_READ_TRADES, "trading.view_exposure"],
}

RUN_NOW = {
    "crm.trading.tasks.charge_swaps_task": "trading.close_position",
    "crm.trading.tasks.charge_funding_task": "trading.close_position",
    "crm.trading.tasks.check_accounts_task": "trading.close_position",
    "crm.trading.tasks.expire_orders_task": "trading.change_order",
    "crm.trading.tasks.prune_candles_task": "trading.change_instrument",
    "crm.trading.tasks.sandbox_quotes_task": "trading.change_instrument",
    "crm.trading.tasks.sweep_market_imports_task": "trading.change_instrument",
    "crm.trading.tasks.sync_platforms_task": "trading.change_platformadapter",
}
