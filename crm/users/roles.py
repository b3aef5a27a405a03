"""Staff management rights by role (the Admin role has every permission)."""

from crm.core.roles import Role

GRANTS = {
    Role.SALES_MANAGER: ["users.view_user"],
    Role.AFFILIATE_MANAGER: ["users.view_user"],
    Role.SUPPORT: ["users.view_loginrecord", "users.view_device"],
    Role.COMPLIANCE: ["users.view_loginrecord"],
}
