"""Core URLs outside the API routers (signed file downloads)."""

urlpatterns: list = []
