"""The verification harness (issue 7): schema fuzzing, the access-control matrix, browser tests of the
admin, a real Celery worker and the API client checks. Each part lives in its own test module; shared helpers
sit beside them."""

import json
from pathlib import Path

import pytest

from tests.harness.client_tools import generate_python_client, project_schema


@pytest.fixture(scope="session")
def python_client(tmp_path_factory) -> Path:
    """The folder of the Python client openapi-python-client generates from the schema (holds `crm_api_client`)."""
    folder = tmp_path_factory.mktemp("python-client")
    schema_file = folder / "schema.json"
    schema_file.write_text(json.dumps(project_schema()))
    return generate_python_client(schema_file, folder)
