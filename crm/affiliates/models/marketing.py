"""What affiliates promote with: target groups, banners and landing pages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class TargetGroup(TimeStampedModel):
    """An audience of affiliates that banners and landing pages are offered to."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    affiliates = models.ManyToManyField("affiliates.Affiliate", blank=True, related_name="target_groups")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def banner_path(instance: Banner, filename: str) -> str:
    import uuid
    from pathlib import PurePath

    return f"affiliate-banners/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class Banner(TimeStampedModel):
    """A creative affiliates place on their sites; no target group means every affiliate gets it."""

    name = models.CharField(max_length=100)
    image = models.FileField(upload_to=banner_path, max_length=255)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    target_url = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=10, blank=True)
    target_groups = models.ManyToManyField(TargetGroup, blank=True, related_name="banners")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("affiliate banner")

    def __str__(self) -> str:
        return self.name


class LandingPage(TimeStampedModel):
    """A landing page affiliates send traffic to; no target group means every affiliate gets it."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    language = models.CharField(max_length=10, blank=True)
    target_groups = models.ManyToManyField(TargetGroup, blank=True, related_name="landing_pages")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
