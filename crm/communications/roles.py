"""What each staff role may do with email templates and the outbound email log, messages, push, text messages,
calls and the timeline."""

from crm.core.roles import Role

_TEMPLATES = [
    "communications.view_emailtemplate",
    "communications.add_emailtemplate",
    "communications.change_emailtemplate",
    "communications.delete_emailtemplate",
    "communications.send_test_emailtemplate",
    "communications.view_emailtemplatevariant",
    "communications.add_emailtemplatevariant",
    "communications.change_emailtemplatevariant",
    "communications.delete_emailtemplatevariant",
]
_LOG = ["communications.view_emailmessage"]
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
    Role.SALES_MANAGER: [*_LOG, "communications.view_emailtemplate", *_CONTACT],
    Role.SALES_AGENT: [*_LOG, *_CONTACT],
    Role.RETENTION_AGENT: [*_LOG, *_CONTACT],
    Role.COMPLIANCE: [
        *_LOG,
        "communications.view_emailtemplate",
        "communications.view_message",
        "communications.view_groupmessage",
    ],
    Role.FINANCE: [*_LOG, "communications.view_emailtemplate"],
    Role.SUPPORT: [
        *_LOG,
        *_TEMPLATES,
        "communications.view_emailoptout",
        "communications.add_emailoptout",
        *_CONTACT,
    ],
}
# Sending the queued emails and pushes and recording delivery webhooks: Admin (the other roles see their effect).
RUN_NOW = {
    "crm.communications.tasks.sweep_emails_task": "communications.view_emailwebhook",
    "crm.communications.tasks.sweep_email_webhooks_task": "communications.view_emailwebhook",
    "crm.communications.tasks.sweep_pushes_task": "communications.change_pushnotification",
    "crm.communications.tasks.sweep_call_events_task": "communications.view_callevent",
}
