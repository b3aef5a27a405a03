"""Serializers of the affiliate API (`portal`), its partner calls (`partner`) and the back office (`backoffice`)."""
