"""Communications services, one module per kind: `from crm.communications.services import messages`."""
