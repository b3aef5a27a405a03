"""Project-level checks: production settings, migrations in sync, the README's demo command."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("DJANGO_") and key != "ALLOWED_HOSTS"
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.com",
        **extra,
    }


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_embedded_secret_key():
    result = run_manage("check", **production_env(SECRET_KEY="insecure-embedded-default-change-me"))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", **production_env(SECRET_KEY="short-but-not-insecure-prefix"))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_needs_allowed_hosts():
    env = production_env()
    del env["ALLOWED_HOSTS"]

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_are_in_sync():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 when a migration is missing


def test_local_settings_serve_static_files_without_collectstatic():
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; from django.contrib.staticfiles import finders; "
        "print(settings.DEBUG, bool(finders.find('unfold/css/styles.css')), settings.WHITENOISE_USE_FINDERS)",
        DJANGO_SETTINGS_MODULE="config.settings.local",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


def test_procfile_runs_web_worker_beat_release_the_price_feed_the_engine_and_the_sockets():
    processes = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert set(processes) == {"release", "web", "worker", "beat", "feed", "engine", "ws"}
    assert "gunicorn config.wsgi" in processes["web"]
    assert "daphne" in processes["ws"]
    assert "config.asgi:application" in processes["ws"]
    assert "migrate" in processes["release"]
    assert "celery -A config worker" in processes["worker"]
    assert "celery -A config beat" in processes["beat"]
    assert "manage.py run_price_feed" in processes["feed"]
    assert "--publish" in processes["feed"]
    assert "manage.py run_trading_engine" in processes["engine"]
