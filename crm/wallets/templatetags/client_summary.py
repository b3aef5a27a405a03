"""`{% load client_summary %}{% client_summary customer %}`: the client summary box of the client page and the
withdrawal review (`crm.wallets.summary`)."""

from __future__ import annotations

from typing import Any

from django import template

from crm.customers.models import Customer
from crm.wallets.summary import client_summary as build_summary

register = template.Library()


@register.inclusion_tag("admin/wallets/client_summary.html", takes_context=True)
def client_summary(context: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
    """The summary of `customer`; nothing for none (a system wallet's transaction)."""
    return {"summary": build_summary(customer) if customer is not None else None, "request": context.get("request")}
