"""The deploy workflow's steps, run against a fake ``aws`` command.

The scripts are the pipeline's safety gates: a failed migration must stop the
deploy, a rollout the circuit breaker rolled back must fail the job, and the
smoke test must notice an old version or a database that does not answer.
Here ``aws`` is a small program that answers as ECS would and records each
call; the smoke test talks to a local HTTP server.
"""

import http.server
import json
import os
import stat
import sys
import threading

import pytest

from .material import ECS, output, run

FAKE_AWS = """#!{python}
import json, os, sys
scenario_path = os.environ["FAKE_AWS_SCENARIO"]
with open(scenario_path) as f:
    scenario = json.load(f)
with open(os.environ["FAKE_AWS_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
query = args[args.index("--query") + 1] if "--query" in args else ""
operation = args[1]
if operation == "describe-services" and "networkConfiguration" in query:
    print(json.dumps(scenario["network"]))
elif operation == "describe-services" and "rolloutState" in query:
    states = scenario["states"]
    print(states.pop(0) if len(states) > 1 else states[0])
    with open(scenario_path, "w") as f:
        json.dump(scenario, f)
elif operation == "run-task":
    print(scenario["task_arn"])
elif operation == "wait":
    sys.exit(scenario.get("wait_exit", 0))
elif operation == "describe-tasks":
    print(scenario["exit_code"] + "\\t" + scenario["reason"])
elif operation == "update-service":
    print(scenario["deployment_id"])
else:
    sys.exit(f"fake aws: unexpected call {{args}}")
"""

NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-0a", "subnet-0b"],
        "securityGroups": ["sg-0c"],
        "assignPublicIp": "DISABLED",
    }
}
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/store-staging:7"


@pytest.fixture
def fake_aws(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(FAKE_AWS.format(python=sys.executable))
    aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.jsonl"
    scenario_file = tmp_path / "scenario.json"

    def call(script, *args, **scenario):
        scenario_file.write_text(json.dumps(scenario))
        result = run(
            ["bash", ECS / script, *args],
            env={
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                "FAKE_AWS_SCENARIO": str(scenario_file),
                "FAKE_AWS_LOG": str(log),
                "POLL_SECONDS": "0.1",
                "GITHUB_RUN_ID": "42",
            },
            timeout=60,
        )
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        log.write_text("")
        return result, calls

    log.write_text("")
    return call


def option(call, name):
    return call[call.index(name) + 1]


# --- run-migrations.sh ------------------------------------------------------------


def migrate(fake_aws, **scenario):
    scenario = {
        "network": NETWORK,
        "task_arn": "arn:aws:ecs:eu-west-1:123456789012:task/store-staging/abc",
        "exit_code": "0",
        "reason": "Essential container in task exited",
        **scenario,
    }
    return fake_aws(
        "run-migrations.sh",
        "store-staging",
        "store-staging",
        TASK_DEFINITION,
        **scenario,
    )


def test_migrations_run_in_the_service_network_with_the_overrides(fake_aws):
    result, calls = migrate(fake_aws)
    assert result.returncode == 0, output(result)
    assert "Migrations applied." in result.stdout
    (run_task,) = [c for c in calls if c[:2] == ["ecs", "run-task"]]
    assert option(run_task, "--task-definition") == TASK_DEFINITION
    assert option(run_task, "--launch-type") == "FARGATE"
    assert json.loads(option(run_task, "--network-configuration")) == NETWORK
    assert option(run_task, "--overrides") == f"file://{ECS / 'migrate-overrides.json'}"
    assert option(run_task, "--started-by") == "migrate-42"
    assert [c[:2] for c in calls] == [
        ["ecs", "describe-services"],
        ["ecs", "run-task"],
        ["ecs", "wait"],
        ["ecs", "describe-tasks"],
    ]
    describe = calls[-1]
    assert "containers[?name=='store']" in option(describe, "--query")


def test_a_failed_migration_fails_the_deploy(fake_aws):
    result, _ = migrate(fake_aws, exit_code="1")
    assert result.returncode == 1
    assert "::error::migrations failed: exit code 1" in result.stdout


def test_a_migration_container_that_never_ran_fails_the_deploy(fake_aws):
    result, _ = migrate(fake_aws, exit_code="None", reason="CannotPullContainerError")
    assert result.returncode == 1
    assert "CannotPullContainerError" in result.stdout


def test_a_migration_task_that_did_not_start_fails_the_deploy(fake_aws):
    result, calls = migrate(fake_aws, task_arn="None")
    assert result.returncode == 1
    assert "did not start" in result.stdout
    assert ["ecs", "wait"] not in [c[:2] for c in calls]


def test_a_migration_that_outlives_the_waiter_fails_the_deploy(fake_aws):
    result, _ = migrate(fake_aws, wait_exit=255)
    assert result.returncode != 0


# --- deploy-service.sh ------------------------------------------------------------


def deploy(fake_aws, states, *extra):
    return fake_aws(
        "deploy-service.sh",
        "store-staging",
        "store-staging",
        TASK_DEFINITION,
        *extra,
        deployment_id="ecs-svc/123",
        states=states,
    )


def test_a_completed_rollout_passes(fake_aws):
    result, calls = deploy(fake_aws, ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"])
    assert result.returncode == 0, output(result)
    (update,) = [c for c in calls if c[:2] == ["ecs", "update-service"]]
    assert option(update, "--task-definition") == TASK_DEFINITION
    assert "deploymentCircuitBreaker={enable=true,rollback=true}" in option(
        update, "--deployment-configuration"
    )
    polls = [c for c in calls if c[:2] == ["ecs", "describe-services"]]
    assert len(polls) == 3
    assert "id=='ecs-svc/123'" in option(polls[0], "--query")


def test_a_rolled_back_rollout_fails_the_job(fake_aws):
    result, _ = deploy(fake_aws, ["IN_PROGRESS", "FAILED"])
    assert result.returncode == 1
    assert "rolled the service back" in result.stdout


def test_a_rollout_that_never_settles_fails_the_job(fake_aws):
    result, _ = deploy(fake_aws, ["IN_PROGRESS"], "1")
    assert result.returncode == 1
    assert "not completed after 1s" in result.stdout


# --- smoke-test.sh ----------------------------------------------------------------


class Service(http.server.BaseHTTPRequestHandler):
    answers: dict = {}

    def do_GET(self):
        status, body = self.answers.get(self.path, (404, {}))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def smoke(url, version):
    return run(
        ["bash", ECS / "smoke-test.sh", url, version],
        env={"SMOKE_RETRIES": "0"},
        timeout=60,
    )


def test_smoke_test_passes_a_healthy_new_version(service):
    Service.answers = {
        "/health": (200, {"status": "ok", "version": "abc123"}),
        "/health/db": (200, {"status": "ok", "database": "postgresql"}),
    }
    result = smoke(service + "/", "abc123")
    assert result.returncode == 0, output(result)


def test_smoke_test_fails_on_the_old_version(service):
    Service.answers = {
        "/health": (200, {"status": "ok", "version": "old"}),
        "/health/db": (200, {"status": "ok"}),
    }
    result = smoke(service, "abc123")
    assert result.returncode == 1
    assert "version abc123" in result.stdout


def test_smoke_test_fails_when_the_database_does_not_answer(service):
    Service.answers = {
        "/health": (200, {"status": "ok", "version": "abc123"}),
        "/health/db": (503, {"status": "unavailable"}),
    }
    result = smoke(service, "abc123")
    assert result.returncode != 0
    assert "503" in result.stderr
