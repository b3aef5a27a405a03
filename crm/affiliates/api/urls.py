"""Routes of the affiliate program (registered by the API work)."""

urlpatterns: list = []
