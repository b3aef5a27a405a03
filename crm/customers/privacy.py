"""Masking of personal data for staff without the `customers.view_personal_data` permission."""


def can_view_personal_data(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("customers.view_personal_data"))


def mask_email(email: str) -> str:
    """j*********@********.com (as 004 maskedEmail): first letter and top-level domain stay."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{'*' * max(len(host), 3)}{dot}{tld}"


def mask_phone(phone: str) -> str:
    """+44*******89: country prefix and last two digits stay."""
    text = str(phone or "")
    if len(text) <= 5:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 5)}{text[-2:]}"


def email_for(user, email: str) -> str:
    return email if can_view_personal_data(user) else mask_email(email)


def phone_for(user, phone) -> str:
    text = str(phone or "")
    return text if can_view_personal_data(user) else mask_phone(text)
