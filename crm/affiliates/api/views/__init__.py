"""Viewsets of the affiliate API (portal and partner calls) and of the back office's affiliate endpoints."""
