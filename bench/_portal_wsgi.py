"""The WSGI application bench/portal_orders.py serves with gunicorn: the product's own (config.wsgi), with the outbox's
task messages not sent. The bench has no broker and the dispatch of an order's events is a worker's job, left out of
the service baseline the same way (as bench/ledger_transfers.py leaves it out); the events are still written."""

from config.wsgi import application
from crm.core import work

work.send = lambda kind, pk: True

__all__ = ["application"]
