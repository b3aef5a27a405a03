"""Helpers of the API client checks: the schema as served, the pinned generators and how to run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

CLIENTS = Path(__file__).resolve().parent / "clients"
NODE_BIN = CLIENTS / "node_modules" / ".bin"
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
PYTHON_PACKAGE = "crm_api_client"
TIMEOUT = 180


def project_schema() -> dict:
    """The schema /api/schema/ serves, as JSON."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


def node_tool(name: str) -> Path:
    """A pinned npm tool; skipped (failed with REQUIRE_SERVICES=1) when `npm ci` has not installed them."""
    tool = NODE_BIN / name
    if not tool.exists() or shutil.which("node") is None:
        reason = f"needs Node and the pinned npm packages: npm ci --prefix {CLIENTS} (make test does it)"
        if REQUIRED:
            pytest.fail(f"{reason}; REQUIRE_SERVICES=1 makes this a failure")
        pytest.skip(reason)
    return tool


def run(*command: str | Path, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own pinned tools on our own files
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def generate_python_client(schema_file: Path, target: Path) -> Path:
    """openapi-python-client's package for the schema, under `target`; its console output must be clean."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hooks
    result = run(
        bin_dir / "openapi-python-client",
        "generate",
        "--path",
        schema_file,
        "--config",
        CLIENTS / "openapi-python-client.yaml",
        "--meta",
        "none",
        "--output-path",
        target / PYTHON_PACKAGE,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Warning" not in result.stdout, result.stdout[-4000:]
    return target
