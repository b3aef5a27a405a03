"""Short-lived signed links to private files (exports, KYC documents).

On local disk the link points at `core:private-file` with a token signed by
`TimestampSigner`, bound to one user and valid for `PRIVATE_LINK_MAX_AGE` seconds.
On S3 the storage's own presigned URL is returned instead (same lifetime, set in settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import Storage, storages
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder

SALT = "crm.core.files.private-link"


class StorageAlias(Storage):
    """A storage that forwards every call to `storages[alias]` as configured at the time of the call.

    A FileField evaluates its storage callable once, at import; with this proxy the field still
    follows STORAGES when settings change (tests, per-tenant configuration).
    """

    _forwarded = (
        "open",
        "save",
        "get_valid_name",
        "get_alternative_name",
        "get_available_name",
        "generate_filename",
        "path",
        "delete",
        "exists",
        "listdir",
        "size",
        "url",
        "get_accessed_time",
        "get_created_time",
        "get_modified_time",
    )

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @property
    def target(self) -> Storage:
        return storages[self.alias]

    def __getattr__(self, name: str) -> Any:
        if name == "alias":
            raise AttributeError(name)
        return getattr(self.target, name)

    def deconstruct(self) -> tuple[str, tuple[str], dict[str, Any]]:
        return ("crm.core.files.StorageAlias", (self.alias,), {})


def _forward(name: str) -> Callable[..., Any]:
    def method(self: StorageAlias, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.target, name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in StorageAlias._forwarded:
    setattr(StorageAlias, _name, _forward(_name))


class LinkRefused(Exception):
    """The link is tampered with, expired, or for another user."""


@dataclass(frozen=True)
class SignedFile:
    storage_alias: str
    name: str
    user_id: int


def _storage_alias(storage: Storage) -> str:
    if isinstance(storage, StorageAlias):
        return storage.alias
    for alias in ("private", "default"):
        if storage is storages[alias]:
            return alias
    raise ValueError("Signed links are only made for files in the 'private' or 'default' storage.")


def _is_presigning(storage: Storage) -> bool:
    return bool(getattr(storage, "querystring_auth", False)) and hasattr(storage, "bucket_name")


def signed_file_url(fieldfile: FieldFile, *, user: PermissionHolder) -> str:
    """A link to the file that only `user` can open, for `PRIVATE_LINK_MAX_AGE` seconds."""
    if not fieldfile:
        raise ValueError("The field has no file.")
    storage = fieldfile.storage
    if isinstance(storage, StorageAlias):
        alias = storage.alias
        storage = storage.target
    else:
        alias = _storage_alias(storage)
    if _is_presigning(storage):
        # S3Storage.url takes the lifetime of the presigned URL; Storage.url does not.
        return storage.url(fieldfile.name, expire=settings.PRIVATE_LINK_MAX_AGE)  # type: ignore[call-arg]
    token = signing.TimestampSigner(salt=SALT).sign_object(
        {"s": alias, "n": fieldfile.name, "u": user.pk}, compress=True
    )
    return reverse("core:private-file", args=[token])


def unsign_file_token(token: str, *, user: PermissionHolder | None) -> SignedFile:
    """The file a token names, when its signature is intact, it is not older than the max age and it is `user`'s."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=settings.PRIVATE_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkRefused(_("The link has expired.")) from exc
    except signing.BadSignature as exc:
        raise LinkRefused(_("The link is not valid.")) from exc
    if not user or not user.is_authenticated or data.get("u") != user.pk:
        raise LinkRefused(_("The link was made for another user."))
    return SignedFile(storage_alias=data["s"], name=data["n"], user_id=data["u"])
