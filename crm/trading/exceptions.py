"""Refusals of the trading rules, each with a stable code."""

from crm.core.exceptions import Conflict, DomainError


class NotEnoughMargin(DomainError):
    code = "not_enough_margin"


class InsufficientAssets(NotEnoughMargin):
    """A spot order the account cannot pay for with the asset it holds (a pending one is rejected for it)."""

    code = "insufficient_assets"


class MarketClosed(DomainError):
    code = "market_closed"


class InDowntime(DomainError):
    code = "in_downtime"


class NoQuote(DomainError):
    code = "no_quote"


class InvalidVolume(DomainError):
    code = "invalid_volume"


class InvalidPrice(DomainError):
    code = "invalid_price"


class TradingNotAllowed(DomainError):
    code = "trading_not_allowed"


class PositionClosed(Conflict):
    code = "position_closed"


class OrderNotPending(Conflict):
    code = "order_not_pending"


class InvalidCorrection(DomainError):
    code = "invalid_correction"
