import pytest

from crm.core.files import StorageAlias
from crm.customers.models import Document


@pytest.fixture(autouse=True)
def _documents_follow_test_storage(monkeypatch):
    """KYC files go to the per-test private storage and get signed links.

    `Document.file` evaluates `crm.customers.models.private_storage` once, at import, so it keeps the
    storage configured before the tests override STORAGES. Remove this fixture once that callable returns
    `crm.core.files.StorageAlias("private")`, as `crm.core.models.private_storage` does.
    """
    field = Document._meta.get_field("file")
    if not isinstance(field.storage, StorageAlias):
        monkeypatch.setattr(field, "storage", StorageAlias("private"))
