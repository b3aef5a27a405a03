"""Paths of the compatibility endpoints, exactly as seed 003 gives them (a trailing slash is also accepted)."""

from django.urls import re_path

from crm.affiliates.compat.buckets import bucket_leads, bucket_source_leads
from crm.affiliates.compat.tradersroom import tradersroom_signup

app_name = "affiliates-compat"

urlpatterns = [
    re_path(
        r"^api/public/buckets/(?P<bucket_id>[^/]+)/(?P<affiliate_id>[^/]+)/leads/?$",
        bucket_leads,
        name="bucket-leads",
    ),
    re_path(
        r"^api/public/buckets/(?P<bucket_id>[^/]+)/(?P<affiliate_id>[^/]+)/leads/(?P<source_id>[^/]+)/?$",
        bucket_source_leads,
        name="bucket-source-leads",
    ),
    re_path(r"^tradersroom/api/auth/signup/?$", tradersroom_signup, name="tradersroom-signup"),
]
