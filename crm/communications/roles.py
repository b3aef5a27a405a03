"""What each staff role may do with email templates, the outbound email log and opt-outs."""

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

GRANTS = {
    Role.SALES_MANAGER: [*_LOG, "communications.view_emailtemplate"],
    Role.SALES_AGENT: _LOG,
    Role.RETENTION_AGENT: _LOG,
    Role.COMPLIANCE: [*_LOG, "communications.view_emailtemplate"],
    Role.FINANCE: [*_LOG, "communications.view_emailtemplate"],
    Role.SUPPORT: [*_LOG, *_TEMPLATES, "communications.view_emailoptout", "communications.add_emailoptout"],
}
# Sending the queued emails and recording delivery webhooks: Admin (the other roles see their effect in the log).
RUN_NOW = {
    "crm.communications.tasks.sweep_emails_task": "communications.view_emailwebhook",
    "crm.communications.tasks.sweep_email_webhooks_task": "communications.view_emailwebhook",
}
