"""Settings refuse to start without what production needs, in one clear line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from store_project.db import embedded

ROOT = Path(__file__).resolve().parents[2]
PROD_VALUES = {
    "SECRET_KEY": "k8#Vq2!pZr7@Lm4$Wn9^Tx3&Yb6*Hc1(Jd5)Fg0-Se8+Ua2=Oi7",
    "ALLOWED_HOSTS": "store.example.com",
    "DATABASE_URL": "postgres://store:secret@db.example.com:5432/store",
    "FIELD_ENCRYPTION_KEYS": "bmV3LWtleS1mb3ItdGhlLXNldHRpbmdzLXRlc3RzLTE=,"
    "b2xkLWtleS1mb3ItdGhlLXNldHRpbmdzLXRlc3RzLTI=",
    "REDIS_URL": "rediss://:token@cache.example.com:6379/0",
}


def run_manage(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {*PROD_VALUES, "DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "store_project.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("environment", ["staging", "prod"])
@pytest.mark.parametrize("missing", sorted(PROD_VALUES))
def test_production_settings_refuse_to_start_without_required_variable(
    environment, missing
):
    values = {k: v for k, v in PROD_VALUES.items() if k != missing}
    result = run_manage({"DJANGO_ENV": environment, **values}, "check")

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"Missing required environment variable {missing} "
        f"(DJANGO_ENV={environment}); set it and start again."
    ]


@pytest.mark.parametrize(
    ("keys", "position"),
    [
        ("not-a-key", "key 1 of 1"),
        ("bmV3LWtleS1mb3ItdGhlLXNldHRpbmdzLXRlc3RzLTE=,c2hvcnQ=", "key 2 of 2"),
        ("bmV3LWtleS1mb3ItdGhlLXNldHRpbmdzLXRlc3RzLTE=,ünïcode", "key 2 of 2"),
    ],
)
def test_a_malformed_encryption_key_stops_start_up_in_one_line(keys, position):
    values = {**PROD_VALUES, "FIELD_ENCRYPTION_KEYS": keys}
    result = run_manage({"DJANGO_ENV": "prod", **values}, "check")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"FIELD_ENCRYPTION_KEYS: {position} is not a Fernet key (32 random bytes "
        "in URL-safe base64); fix it and start again."
    ]
    assert keys.split(",")[-1] not in result.stderr  # a key is never printed


def test_unknown_environment_is_refused_in_one_line():
    result = run_manage({"DJANGO_ENV": "production-ish"}, "check")

    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "DJANGO_ENV must be one of dev, staging, prod" in result.stderr


def test_prod_settings_pass_the_deploy_checks_without_warnings():
    result = run_manage(
        {"DJANGO_ENV": "prod", **PROD_VALUES},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_dev_settings_default_to_the_embedded_server_in_the_project_folder():
    data_dir = ROOT / ".pgdata"
    # A server `make run` started is left running; one this test started is not.
    already_running = (data_dir / "postmaster.pid").exists()
    try:
        result = run_manage(
            {"DJANGO_ENV": "dev", "DATABASE_URL": ""},
            "shell",
            "-c",
            "from django.conf import settings; from django.db import connection; "
            "d = settings.DATABASES['default']; c = connection.cursor(); "
            "c.execute('SELECT current_database()'); "
            "print(settings.DEBUG, d['OPTIONS']['host'], c.fetchone()[0])",
        )
    finally:
        if not already_running:
            embedded.stop(data_dir)

    assert result.returncode == 0, result.stderr
    debug, host, database = result.stdout.strip().splitlines()[-1].split()
    assert debug == "True"
    assert Path(host) == ROOT / ".pgdata"
    assert database == "store"


def test_deployed_settings_cache_on_redis_with_short_time_outs():
    result = run_manage(
        {"DJANGO_ENV": "staging", **PROD_VALUES},
        "shell",
        "-c",
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.CACHES['default']))",
    )

    assert result.returncode == 0, result.stderr
    cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == PROD_VALUES["REDIS_URL"]
    assert cache["OPTIONS"] == {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


def test_a_redis_url_that_is_not_redis_is_refused_in_one_line():
    values = {**PROD_VALUES, "REDIS_URL": "memcached://cache.example.com:11211"}
    result = run_manage({"DJANGO_ENV": "prod", **values}, "check")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "REDIS_URL must name a Redis server (redis://... or rediss://...)."
    ]


def test_a_replica_url_adds_the_replica_with_the_primarys_rules():
    replica_url = "postgres://reader:secret@replica.example.com:5432/store"
    result = run_manage(
        {"DJANGO_ENV": "prod", **PROD_VALUES, "DATABASE_REPLICA_URL": replica_url},
        "shell",
        "-c",
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.DATABASES, default=str))",
    )

    assert result.returncode == 0, result.stderr
    databases = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(databases) == ["default", "replica"]
    replica = databases["replica"]
    assert replica["HOST"] == "replica.example.com"
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["OPTIONS"] == databases["default"]["OPTIONS"]
    assert replica["TEST"]["MIRROR"] == "default"
