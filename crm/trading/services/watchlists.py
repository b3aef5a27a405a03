"""A trading account's watchlist (000 Watchlists): its symbols in the client's order, tradable in its group."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError
from crm.trading import selectors
from crm.trading.models import Instrument, WatchlistItem
from crm.trading.services.execution import lock_account
from crm.wallets.models import Wallet

MAX_SYMBOLS = 100


class InvalidWatchlist(DomainError):
    code = "invalid_watchlist"


def watchlist(account: Wallet) -> list[str]:
    """The account's watchlist symbols in order (one query)."""
    rows = WatchlistItem.objects.filter(account=account).order_by("sort_order", "pk")
    return list(rows.values_list("instrument__symbol", flat=True))


def _tradable(account: Wallet, symbols: list[str]) -> list[Instrument]:
    if len(set(symbols)) != len(symbols):
        raise InvalidWatchlist(_("A symbol appears twice."), fields={"symbols": [_("Each symbol once.")]})
    if len(symbols) > MAX_SYMBOLS:
        raise InvalidWatchlist(
            _("A watchlist holds %(count)d symbols at most.") % {"count": MAX_SYMBOLS},
            fields={"symbols": [_("Too many symbols.")]},
        )
    allowed = {row.symbol: row for row in selectors.tradable_instruments(account)}
    unknown = [symbol for symbol in symbols if symbol not in allowed]
    if unknown:
        raise InvalidWatchlist(
            _("These symbols cannot be traded on this account: %(symbols)s.") % {"symbols": ", ".join(unknown)},
            fields={"symbols": unknown},
        )
    return [allowed[symbol].instrument for symbol in symbols]


@transaction.atomic
def set_watchlist(account: Wallet, *, symbols: list[str]) -> list[str]:
    """Replace the watchlist with these symbols in this order (an empty list clears it)."""
    account = lock_account(account)
    instruments = _tradable(account, symbols)
    WatchlistItem.objects.filter(account=account).delete()
    WatchlistItem.objects.bulk_create(
        [WatchlistItem(account=account, instrument=item, sort_order=n) for n, item in enumerate(instruments)]
    )
    return symbols


@transaction.atomic
def add_to_watchlist(account: Wallet, *, symbol: str) -> list[str]:
    """Append a symbol; a symbol already there stays where it is."""
    account = lock_account(account)
    current = watchlist(account)
    if symbol in current:
        return current
    return set_watchlist(account, symbols=[*current, symbol])


@transaction.atomic
def remove_from_watchlist(account: Wallet, *, symbol: str) -> list[str]:
    """Remove a symbol; one that is not there is a field error."""
    account = lock_account(account)
    current = watchlist(account)
    if symbol not in current:
        raise InvalidWatchlist(
            _("%(symbol)s is not in the watchlist.") % {"symbol": symbol}, fields={"symbol": [_("Not in the list.")]}
        )
    WatchlistItem.objects.filter(account=account, instrument__symbol=symbol).delete()
    return [item for item in current if item != symbol]
