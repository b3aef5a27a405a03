"""Communications models, one module per kind (email, messages, push, sms, calls, timeline)."""
