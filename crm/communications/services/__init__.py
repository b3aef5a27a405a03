"""Communications services, one module per kind (email, messages, push, sms): import them from their module."""
