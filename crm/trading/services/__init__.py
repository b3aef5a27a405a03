"""Every write of the trading domain; callers use `from crm.trading import services`."""

from crm.trading.services.alerts import (
    create_price_alert,
    delete_price_alerts,
    fire_price_alerts,
    mark_all_read,
    mark_read,
    notify,
)
from crm.trading.services.closing import close_position, settle
from crm.trading.services.config import save_group_settings, save_instrument
from crm.trading.services.engine import (
    charge_swap,
    charge_swaps,
    check_stop_out,
    expire_orders,
    open_position_for_account,
    process_quote,
    refresh_account,
    store_quote,
)
from crm.trading.services.execution import cancel_order, fill_pending_order, lock_account, modify_position, place_order
from crm.trading.services.market_data import backfill, record_tick
from crm.trading.services.ui import (
    create_layout,
    delete_layout,
    rename_layout,
    reorder_layouts,
    replace_layout_tabs,
    ui_settings,
    update_ui_settings,
)
from crm.trading.services.watchlists import add_to_watchlist, remove_from_watchlist, set_watchlist, watchlist

__all__ = [
    "add_to_watchlist",
    "backfill",
    "cancel_order",
    "charge_swap",
    "charge_swaps",
    "check_stop_out",
    "close_position",
    "create_layout",
    "create_price_alert",
    "delete_layout",
    "delete_price_alerts",
    "expire_orders",
    "fill_pending_order",
    "fire_price_alerts",
    "lock_account",
    "mark_all_read",
    "mark_read",
    "modify_position",
    "notify",
    "open_position_for_account",
    "place_order",
    "process_quote",
    "record_tick",
    "refresh_account",
    "remove_from_watchlist",
    "rename_layout",
    "reorder_layouts",
    "replace_layout_tabs",
    "save_group_settings",
    "save_instrument",
    "set_watchlist",
    "settle",
    "store_quote",
    "ui_settings",
    "update_ui_settings",
    "watchlist",
]
