"""The API as portal teams consume it: real client generators on the project's OpenAPI schema.

A portal team's first step is to generate a client from /api/schema/. This module does it the way they would, on
the schema of every operation that exists (so an endpoint added later is held to the same bar):

- the schema rules of `schema_rules.py` (typed values, one request content type, described portal and affiliate
  operations, no internal notes, security per audience, named enums, optional request defaults);
- openapi-spec-validator and Redocly's recommended lint (`clients/redocly.yaml`) find no error;
- openapi-typescript (default options) generates types with no `unknown` in them, and `tsc --strict` compiles the
  portal journey written against them (`clients/journey.ts`);
- openapi-python-client generates a client with no warning, and every module of it imports.

The npm tools are pinned in `clients/package.json` and `package-lock.json` and installed by `npm ci` (make test and
.ci/run do it); without them those tests are skipped, and with REQUIRE_SERVICES=1 (CI) they fail. The journey
through the generated Python client against a live server is `test_portal_journey.py`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.harness.client_tools import CLIENTS, PYTHON_PACKAGE, node_tool, project_schema, run
from tests.harness.schema_rules import RULES

# openapi-typescript writes `[name: string]: unknown` for the response headers nobody declared; nothing else may be.
HEADER_MAP = "[name: string]: unknown;"


@pytest.fixture(scope="module")
def schema() -> dict:
    return project_schema()


@pytest.fixture(scope="module")
def schema_file(schema, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_text(json.dumps(schema))
    return path


@pytest.mark.parametrize("rule", RULES)
def test_schema_keeps_the_client_rule(schema, rule):
    assert RULES[rule](schema) == []


def test_openapi_spec_validator_finds_no_error(schema):
    validate(schema)


def test_redocly_recommended_lint_finds_no_error(schema_file):
    redocly = node_tool("redocly")

    result = run(redocly, "lint", schema_file, "--config", CLIENTS / "redocly.yaml", "--format=json", cwd=CLIENTS)

    problems = json.loads(result.stdout)["problems"]
    errors = [
        f"{p['ruleId']} {p['location'][0]['pointer']}: {p['message']}" for p in problems if p["severity"] == "error"
    ]
    assert errors == []
    assert result.returncode == 0, result.stderr[-2000:]


def test_typescript_types_compile_the_portal_journey_in_strict_mode(schema_file, tmp_path):
    generator, compiler = node_tool("openapi-typescript"), node_tool("tsc")
    for name in ("journey.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, tmp_path / name)

    generated = run(generator, schema_file, "--output", tmp_path / "api.d.ts")
    compiled = run(compiler, "--project", tmp_path / "tsconfig.json", "--strict")

    assert generated.returncode == 0, generated.stderr[-2000:]
    types = (tmp_path / "api.d.ts").read_text()
    untyped = [line.strip() for line in types.splitlines() if "unknown" in line and HEADER_MAP not in line]
    assert [line for line in untyped if not line.startswith(("/**", "*"))] == []
    assert compiled.returncode == 0, compiled.stdout[-4000:]


IMPORT_EVERY_MODULE = f"""
import importlib, pkgutil, sys
package = importlib.import_module("{PYTHON_PACKAGE}")
names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
failed = []
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{{name}}: {{exc!r}}")
print(len(names))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_python_client_generates_and_every_module_imports(python_client):
    result = run(sys.executable, "-c", IMPORT_EVERY_MODULE, cwd=python_client)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert int(result.stdout.split()[0]) > 100
