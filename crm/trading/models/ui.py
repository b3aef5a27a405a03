"""A trader's front-end settings and layouts (001 "Trading UI settings" and "Layouts"), kept per client."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.customers.models import Customer


class TraderUiSettings(TimeStampedModel):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="trader_ui_settings")
    selected_layout_id = models.CharField(max_length=64, blank=True)
    is_introduction_tour_completed = models.BooleanField(default=False)
    is_24h_time_format_used = models.BooleanField(default=True)
    theme = models.CharField(max_length=32, default="dark")

    class Meta:
        verbose_name = _("trader UI settings")
        verbose_name_plural = _("trader UI settings")

    def __str__(self) -> str:
        return f"Trader UI settings #{self.pk}"


class TraderLayout(TimeStampedModel):
    """A screen layout the trader saved: tabs of widgets (JSON as the front end sends it), in the trader's order."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="trader_layouts")
    layout_id = models.CharField(max_length=64, help_text=_("The id the front end gave the layout."))
    name = models.CharField(max_length=100)
    tabs = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["customer", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["customer", "layout_id"], name="one_layout_id_per_client")]

    def __str__(self) -> str:
        return f"Trader layout #{self.pk}"
