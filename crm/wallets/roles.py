"""What each staff role may do with wallets, transactions and the ledger."""

from crm.core.roles import Role

_READ_CONFIG = [
    "wallets.view_currency",
    "wallets.view_exchangerate",
    "wallets.view_currencyconversion",
    "wallets.view_platform",
    "wallets.view_accountgroup",
]
_SEE_MONEY = ["wallets.view_wallet", "wallets.view_transaction", *_READ_CONFIG]

GRANTS = {
    # Agents see their own clients' wallets and movements (scoped by the clients they may see).
    Role.SALES_AGENT: _SEE_MONEY,
    Role.RETENTION_AGENT: _SEE_MONEY,
    Role.SALES_MANAGER: _SEE_MONEY,
    Role.SUPPORT: _SEE_MONEY,
    Role.COMPLIANCE: [*_SEE_MONEY, "wallets.view_statement"],
    Role.DEALER: [*_SEE_MONEY, "wallets.add_wallet", "wallets.change_wallet", "wallets.change_accountgroup"],
    Role.FINANCE: [
        *_SEE_MONEY,
        "wallets.add_wallet",
        "wallets.change_wallet",
        "wallets.enable_wallet",
        "wallets.top_up_demo",
        "wallets.view_statement",
        "wallets.approve_transaction",
        "wallets.refund_transaction",
        "wallets.create_manual_transaction",
        "wallets.export_transaction",
        "wallets.view_journalentry",
        "wallets.view_posting",
        "wallets.add_currency",
        "wallets.change_currency",
        "wallets.add_exchangerate",
        "wallets.change_exchangerate",
        "wallets.add_currencyconversion",
        "wallets.change_currencyconversion",
        "wallets.delete_currencyconversion",
    ],
    Role.AFFILIATE_MANAGER: ["wallets.view_wallet", "wallets.view_transaction", *_READ_CONFIG],
}
