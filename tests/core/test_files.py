import time
from unittest import mock

import pytest
from django.core.files.base import ContentFile

from crm.core.files import signed_file_url
from tests.core.factories import ExportJobFactory
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job_with_file():
    job = ExportJobFactory(status="done")
    job.file.save("report.xlsx", ContentFile(b"PK-content"), save=True)
    return job


def _download(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response.status_code, body


def test_signed_link_serves_the_file_to_its_user(client, job_with_file):
    client.force_login(job_with_file.owner)

    status, body = _download(client, signed_file_url(job_with_file.file, user=job_with_file.owner))

    assert (status, body) == (200, b"PK-content")


def test_signed_link_is_refused_to_another_user(client, job_with_file):
    url = signed_file_url(job_with_file.file, user=job_with_file.owner)
    client.force_login(StaffUserFactory())

    assert _download(client, url) == (403, b"")


def test_signed_link_is_refused_to_anonymous(client, job_with_file):
    url = signed_file_url(job_with_file.file, user=job_with_file.owner)

    assert _download(client, url)[0] in (401, 403)


def test_signed_link_is_refused_after_expiry(client, job_with_file, settings):
    settings.PRIVATE_LINK_MAX_AGE = 60
    signed_at = time.time()  # the link's age counts from here, however slow the machine is afterwards
    with mock.patch("django.core.signing.time.time", return_value=signed_at):
        url = signed_file_url(job_with_file.file, user=job_with_file.owner)
    client.force_login(job_with_file.owner)

    with mock.patch("django.core.signing.time.time", return_value=signed_at + 61):
        expired = _download(client, url)
    with mock.patch("django.core.signing.time.time", return_value=signed_at + 59):
        still_valid = _download(client, url)

    assert expired == (403, b"")
    assert still_valid == (200, b"PK-content")


def test_tampered_link_is_refused(client, job_with_file):
    url = signed_file_url(job_with_file.file, user=job_with_file.owner)
    client.force_login(job_with_file.owner)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    tampered = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    assert _download(client, tampered) == (403, b"")


def test_link_to_a_deleted_file_answers_404(client, job_with_file):
    url = signed_file_url(job_with_file.file, user=job_with_file.owner)
    job_with_file.file.delete(save=True)
    client.force_login(job_with_file.owner)

    assert _download(client, url) == (404, b"")


def test_private_storage_returns_the_s3_presigned_url(job_with_file, settings):
    fake_s3 = mock.Mock(querystring_auth=True, bucket_name="private-bucket")
    fake_s3.url.return_value = "https://s3.example/exports/report.xlsx?X-Amz-Signature=abc"
    settings.PRIVATE_LINK_MAX_AGE = 120

    with mock.patch("crm.core.files.StorageAlias.target", new_callable=mock.PropertyMock, return_value=fake_s3):
        url = signed_file_url(job_with_file.file, user=job_with_file.owner)

    assert url == "https://s3.example/exports/report.xlsx?X-Amz-Signature=abc"
    fake_s3.url.assert_called_once_with(job_with_file.file.name, expire=120)
