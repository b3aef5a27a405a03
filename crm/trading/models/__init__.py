"""Trading models; import from `crm.trading.models`."""

from crm.trading.models.config import CalcMode, GroupInstrument, GroupTradingSettings, Instrument, Quote, SwapMode
from crm.trading.models.trades import Deal, Order, Position, Side, WatchlistItem

__all__ = [
    "CalcMode",
    "Deal",
    "GroupInstrument",
    "GroupTradingSettings",
    "Instrument",
    "Order",
    "Position",
    "Quote",
    "Side",
    "SwapMode",
    "WatchlistItem",
]
