"""Trading models; import from `crm.trading.models`."""

from crm.trading.models.config import CalcMode, GroupInstrument, GroupTradingSettings, Instrument, Quote, SwapMode
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
from crm.trading.models.state import MarginCall
from crm.trading.models.trades import Deal, Order, Position, Side

__all__ = [
    "Asset",
    "CalcMode",
    "CommissionProfile",
    "CommissionRule",
    "Deal",
    "Downtime",
    "FeeType",
    "GroupInstrument",
    "GroupTradingSettings",
    "Instrument",
    "MarginCall",
    "MarketCategory",
    "MarketGroup",
    "MaxRisk",
    "Order",
    "PlatformAdapter",
    "Position",
    "PositionDuration",
    "Quote",
    "SessionOverride",
    "Side",
    "SwapMode",
]
