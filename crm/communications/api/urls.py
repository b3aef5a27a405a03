"""Registers the communications viewsets on the audience routers (imported by config/urls.py)."""
