"""Trading models; import from `crm.trading.models`."""

from crm.trading.models.alerts import PriceAlert, TraderNotification
from crm.trading.models.config import CalcMode, GroupInstrument, GroupTradingSettings, Instrument, Quote, SwapMode
from crm.trading.models.imports import MarketImport
from crm.trading.models.market_data import Candle, CandleInterval, FundingRate, candle_start
from crm.trading.models.settings import (
    Asset,
    CommissionProfile,
    CommissionRule,
    Downtime,
    FeeType,
    MarketCategory,
    MarketGroup,
    MaxRisk,
    PlatformAdapter,
    PositionDuration,
    SessionOverride,
)
from crm.trading.models.spot import SpotFill, SpotHolding
from crm.trading.models.state import MarginCall
from crm.trading.models.trades import Deal, Order, Position, PositionCorrection, Side, WatchlistItem
from crm.trading.models.ui import TraderLayout, TraderUiSettings

__all__ = [
    "Asset",
    "CalcMode",
    "Candle",
    "CandleInterval",
    "CommissionProfile",
    "CommissionRule",
    "Deal",
    "Downtime",
    "FeeType",
    "FundingRate",
    "GroupInstrument",
    "GroupTradingSettings",
    "Instrument",
    "MarginCall",
    "MarketCategory",
    "MarketGroup",
    "MarketImport",
    "MaxRisk",
    "Order",
    "PlatformAdapter",
    "Position",
    "PositionCorrection",
    "PositionDuration",
    "PriceAlert",
    "Quote",
    "SessionOverride",
    "Side",
    "SpotFill",
    "SpotHolding",
    "SwapMode",
    "TraderLayout",
    "TraderNotification",
    "TraderUiSettings",
    "WatchlistItem",
    "candle_start",
]
