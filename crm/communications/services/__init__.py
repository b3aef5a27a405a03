"""Communications services, one module per kind (email, ...); import them from their module."""
