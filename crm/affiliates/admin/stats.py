"""Reads for the admin's tree view and downline statistics (one grouped query each)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from crm.affiliates.models import Affiliate, AffiliateTreePath, CommissionLedger
from crm.customers.models import Customer


def tree_rows(affiliate: Affiliate) -> list[dict]:
    """The affiliate and its downline in depth-first order, each with its depth below the affiliate."""
    paths = AffiliateTreePath.objects.filter(ancestor=affiliate).select_related("descendant__customer")
    nodes = {p.descendant_id: (p.depth, p.descendant) for p in paths}
    referrals = dict(
        Customer.objects.filter(introducer__affiliate__in=nodes)
        .values_list("introducer__affiliate")
        .annotate(total=Count("pk"))
        .values_list("introducer__affiliate", "total")
    )
    children: dict[int | None, list[Affiliate]] = {}
    for _depth, node in nodes.values():
        children.setdefault(node.parent_id if node.pk != affiliate.pk else None, []).append(node)
    rows: list[dict] = []

    def walk(node: Affiliate) -> None:
        depth = nodes[node.pk][0]
        rows.append({"affiliate": node, "depth": depth, "indent": depth * 24, "referrals": referrals.get(node.pk, 0)})
        for child in sorted(children.get(node.pk, []), key=lambda a: a.pk):
            walk(child)

    walk(affiliate)
    return rows


def downline_statistics(affiliate: Affiliate) -> list[dict]:
    """Per depth below the affiliate (0: its own clients): sub-IBs, referrals, FTDs and its earnings."""
    per_depth = (
        AffiliateTreePath.objects.filter(ancestor=affiliate)
        .values("depth")
        .annotate(
            affiliates=Count("descendant", distinct=True),
            referrals=Count("descendant__customer__referrals", distinct=True),
            ftds=Count(
                "descendant__customer__referrals",
                filter=Q(descendant__customer__referrals__first_deposit_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("depth")
    )
    payable = Coalesce(F("corrected_commission_amount"), F("commission_amount"))
    earned = {
        (row["level"], row["status"]): row["total"]
        for row in CommissionLedger.objects.filter(introducer=affiliate)
        .values("level", "status")
        .annotate(total=Sum(payable))
    }
    rows = []
    for row in per_depth:
        level = row["depth"] + 1
        rows.append(
            {
                **row,
                "level": level,
                **{
                    status.lower(): earned.get((level, status), Decimal(0))
                    for status in CommissionLedger.Status.values
                },
            }
        )
    return rows
