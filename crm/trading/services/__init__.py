"""Every write of the trading domain; callers use `from crm.trading import services`."""

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
from crm.trading.services.watchlists import add_to_watchlist, remove_from_watchlist, set_watchlist, watchlist

__all__ = [
    "add_to_watchlist",
    "cancel_order",
    "charge_swap",
    "charge_swaps",
    "check_stop_out",
    "close_position",
    "expire_orders",
    "fill_pending_order",
    "lock_account",
    "modify_position",
    "open_position_for_account",
    "place_order",
    "process_quote",
    "refresh_account",
    "remove_from_watchlist",
    "save_group_settings",
    "save_instrument",
    "set_watchlist",
    "settle",
    "store_quote",
    "watchlist",
]
