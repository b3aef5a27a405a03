"""Staff management rights by role (the Admin role has every permission)."""

from crm.core.roles import Role

_DESK_ADMIN = ["users.view_desk", "users.add_desk", "users.change_desk", "users.delete_desk"]

GRANTS = {
    Role.SALES_MANAGER: ["users.view_user", *_DESK_ADMIN],
    Role.SALES_AGENT: ["users.view_desk"],
    Role.RETENTION_AGENT: ["users.view_desk"],
    Role.AFFILIATE_MANAGER: ["users.view_user"],
    Role.SUPPORT: ["users.view_loginrecord", "users.view_device"],
    Role.COMPLIANCE: ["users.view_loginrecord"],
}
