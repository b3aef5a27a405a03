"""Shared pieces of the affiliate admin pages."""

from __future__ import annotations

STATUS_LABELS = {
    "PENDING": "warning",
    "APPROVED": "info",
    "PAIDOUT": "success",
    "REJECTED": "danger",
    "pending": "warning",
    "active": "success",
    "suspended": "danger",
    "open": "warning",
    "cleared": "success",
    "confirmed": "danger",
}
