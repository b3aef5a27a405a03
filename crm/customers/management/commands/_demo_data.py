"""Fixed reference data and tiny valid files for `manage.py seed_demo` (demo only)."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal

from crm.core.roles import Role

DEMO_DOMAIN = "demo.local"
DEMO_ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
DEMO_PASSWORD = "demo-backoffice-2024"  # noqa: S105 - a published demo password, never for real data

# (role, email prefix, how many, first names)
STAFF = [
    (Role.ADMIN, "admin", 1),
    (Role.SALES_MANAGER, "salesmanager", 1),
    (Role.SALES_AGENT, "sales", 4),
    (Role.RETENTION_AGENT, "retention", 2),
    (Role.COMPLIANCE, "compliance", 1),
    (Role.FINANCE, "finance", 1),
    (Role.AFFILIATE_MANAGER, "affiliates", 1),
    (Role.DEALER, "dealer", 1),
    (Role.SUPPORT, "support", 1),
]

CLIENT_TYPES = [("Individual", "individual"), ("Corporate", "corporative")]

SALES_STATUSES = [
    ("New", "#3b82f6"),
    ("No answer", "#94a3b8"),
    ("Call back", "#f59e0b"),
    ("Interested", "#22c55e"),
    ("Not interested", "#ef4444"),
    ("Wrong number", "#64748b"),
    ("Deposited", "#10b981"),
    ("Low potential", "#a855f7"),
]

CLIENT_GROUPS = ["VIP", "Islamic", "High risk", "Professional", "Test accounts"]

# country code -> (Faker locale, language, currency, enabled)
COUNTRIES = {
    "GB": ("en_GB", "en", "GBP", True),
    "DE": ("de_DE", "de", "EUR", True),
    "FR": ("fr_FR", "fr", "EUR", True),
    "ES": ("es_ES", "es", "EUR", True),
    "IT": ("it_IT", "it", "EUR", True),
    "NL": ("nl_NL", "nl", "EUR", True),
    "PL": ("pl_PL", "pl", "EUR", True),
    "PT": ("pt_PT", "pt", "EUR", True),
    "SE": ("sv_SE", "sv", "EUR", True),
    "CZ": ("cs_CZ", "cs", "EUR", True),
    "RO": ("ro_RO", "ro", "EUR", True),
    "AU": ("en_AU", "en", "USD", True),
    "CA": ("en_CA", "en", "USD", True),
    "BR": ("pt_BR", "pt", "USD", True),
    "MX": ("es_MX", "es", "USD", True),
    "ZA": ("en_GB", "en", "USD", True),
    "AE": ("en_GB", "en", "USD", True),
    "IN": ("en_IN", "en", "USD", True),
    "US": ("en_US", "en", "USD", False),
    "BE": ("fr_FR", "fr", "EUR", False),
}
# How often each country appears among clients (weights follow the dict order above).
COUNTRY_WEIGHTS = [14, 12, 9, 8, 7, 5, 6, 3, 3, 3, 3, 4, 3, 5, 3, 3, 4, 5, 0, 0]

SOURCES = [
    # (source, utm_source, utm_medium, weight)
    ("Google Ads", "google", "cpc", 25),
    ("Facebook", "facebook", "paid_social", 18),
    ("Affiliate", "partner", "affiliate", 15),
    ("Organic", "", "", 20),
    ("Referral", "referral", "ib_link", 10),
    ("Landing page", "landing", "email", 7),
    ("Import", "", "", 5),
]
CAMPAIGNS = ["spring_promo", "gold_rush", "crypto_week", "forex_basics", "webinar_jan", "brand"]

COMMENTS = [
    "Called, no answer. Will try again tomorrow morning.",
    "Client asked for a call back after 6pm local time.",
    "Explained the platform and spreads; interested in EURUSD and gold.",
    "Sent the KYC reminder by email.",
    "Client wants to start with a small deposit and see how withdrawals work.",
    "Not interested right now, follow up next month.",
    "Asked about Islamic account conditions.",
    "Documents received, waiting for compliance review.",
    "Talked about risk management and leverage; client is experienced.",
    "Wrong number, asked for a new one by email.",
    "Promised a deposit by the end of the week.",
    "Complained about slow verification; escalated to compliance.",
]

REJECTION_REASONS = ["Document is blurry", "Document expired", "Name does not match the profile"]

OPERATIONS_ALL = ["deposit", "withdraw", "transfer", "trade", "open_live_account"]

# name -> (rank, description, allowed operations, required document groups (any one type of each group),
# per-currency limits)
# limits: currency -> (daily deposit, daily withdrawal, monthly withdrawal, daily transfer, auto withdrawal)
VERIFICATION_LEVELS = [
    (
        "Level 0",
        0,
        "Registered: may deposit small amounts and trade a demo account.",
        ["deposit"],
        [],
        {
            "USD": ("2000", "0", "0", "0", "0"),
            "EUR": ("2000", "0", "0", "0", "0"),
            "GBP": ("1500", "0", "0", "0", "0"),
        },
    ),
    (
        "Level 1",
        1,
        "Identity verified: trading and withdrawals within limits.",
        OPERATIONS_ALL,
        [["passport", "id_card"]],
        {
            "USD": ("20000", "10000", "50000", "10000", "1000"),
            "EUR": ("20000", "10000", "50000", "10000", "1000"),
            "GBP": ("15000", "8000", "40000", "8000", "800"),
        },
    ),
    (
        "Level 2",
        2,
        "Identity and address verified: high limits.",
        OPERATIONS_ALL,
        [["passport", "id_card"], ["proof_of_address"]],
        {
            "USD": ("250000", "100000", "1000000", "100000", "10000"),
            "EUR": ("250000", "100000", "1000000", "100000", "10000"),
            "GBP": ("200000", "80000", "800000", "80000", "8000"),
        },
    ),
]
LIMIT_FIELDS = [
    "daily_deposit",
    "daily_withdrawal",
    "monthly_withdrawal",
    "daily_internal_transfer",
    "auto_withdrawal",
]


def limit_values(values: tuple[str, ...]) -> dict[str, Decimal]:
    return {field: Decimal(value) for field, value in zip(LIMIT_FIELDS, values, strict=True)}


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF showing `title` (correct cross-reference table)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:60]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def demo_png(width: int = 48, height: int = 32, shade: int = 180) -> bytes:
    """A small, valid greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([(shade + x + y) % 256 for x in range(width)]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
