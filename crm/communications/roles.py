"""What each staff role may do with messages, push, text messages, calls and the timeline."""

from crm.core.roles import Role

_CONTACT = [
    "communications.view_message",
    "communications.add_message",
    "communications.view_groupmessage",
    "communications.add_groupmessage",
    "communications.view_pushnotification",
    "communications.add_pushnotification",
    "communications.view_textmessage",
    "communications.add_textmessage",
    "communications.view_providercall",
    "communications.add_providercall",
]

GRANTS = {
    Role.SALES_AGENT: _CONTACT,
    Role.RETENTION_AGENT: _CONTACT,
    Role.SALES_MANAGER: _CONTACT,
    Role.SUPPORT: _CONTACT,
    Role.COMPLIANCE: ["communications.view_message", "communications.view_groupmessage"],
}

RUN_NOW = {
    "crm.communications.tasks.sweep_call_events_task": "communications.view_callevent",
    "crm.communications.tasks.sweep_pushes_task": "communications.change_pushnotification",
}
