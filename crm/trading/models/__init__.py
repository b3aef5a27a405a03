"""Trading models; import from `crm.trading.models`."""

from crm.trading.models.alerts import PriceAlert, TraderNotification
from crm.trading.models.config import CalcMode, GroupInstrument, GroupTradingSettings, Instrument, Quote, SwapMode
from crm.trading.models.market_data import Candle, CandleInterval, candle_start
from crm.trading.models.trades import Deal, Order, Position, Side, WatchlistItem
from crm.trading.models.ui import TraderLayout, TraderUiSettings

__all__ = [
    "CalcMode",
    "Candle",
    "CandleInterval",
    "Deal",
    "GroupInstrument",
    "GroupTradingSettings",
    "Instrument",
    "Order",
    "Position",
    "PriceAlert",
    "Quote",
    "Side",
    "SwapMode",
    "TraderLayout",
    "TraderNotification",
    "TraderUiSettings",
    "WatchlistItem",
    "candle_start",
]
