"""The deploy rehearsal: the stacks, then the deploy workflow, against moto.

How it runs: tests/deploy/rehearsal.py; moto's gaps: tests/deploy/moto_gaps.py.

What the emulator cannot do is said where it is stood in for: a task runs no
container (its exit code is set in moto's backend: 0, then 1), a rollout
does not roll (its state is set there: COMPLETED, then FAILED), and the load
balancer's URL is served by a stand-in on loopback that answers with the
store's own health views, reporting the version of the image that moto's
service runs. The assertions are on what the scripts and the workflow do
with each answer.
"""

import base64
import http.server
import threading

import pytest
from django.db import connection
from django.test import Client, override_settings

from .rehearsal import (
    REGION,
    Emulator,
    RehearsalError,
    checkout,
    create_stacks,
    curl_stand_in,
    run_workflow,
)

# moto creates no security group egress rule, autoscaling target or policy,
# nor GitHub's OIDC provider, and warns of each: nothing the deploy reads.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")

COMMIT = "0123456789abcdef0123456789abcdef01234567"
STEPS = [
    "actions/checkout@v6",
    "aws-actions/configure-aws-credentials@v6",
    "Read the stack's outputs",
    "Render and register the task definition",
    "Run the migrations (a one-off task of the new task definition)",
    "Deploy the service and wait for it to be stable",
    "Render and register the webhook worker's task definition",
    "Deploy the webhook worker and wait for it to be stable",
    "Smoke test /health and /health/db through the load balancer",
]


@pytest.fixture(scope="module")
def emulator():
    running = Emulator()
    yield running
    running.stop()


class LoadBalancer(http.server.BaseHTTPRequestHandler):
    """The store behind the load balancer: its real health views, answering
    with the version of the image the emulator's service runs now."""

    emulator: Emulator
    target: dict

    def do_GET(self):
        ecs = self.emulator.client("ecs")
        (service,) = ecs.describe_services(
            cluster=self.target["cluster"], services=[self.target["service"]]
        )["services"]
        task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        (container,) = task["taskDefinition"]["containerDefinitions"]
        version = container["image"].rsplit(":", 1)[-1]
        try:
            with override_settings(APP_VERSION=version):
                response = Client().get(self.path, HTTP_HOST=self.target["host"])
        finally:
            connection.close()
        self.send_response(response.status_code)
        self.send_header("Content-Type", response["Content-Type"])
        self.end_headers()
        self.wfile.write(response.content)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def load_balancer(emulator):
    handler = type("Handler", (LoadBalancer,), {"emulator": emulator, "target": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler.target, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def rehearse(
    tmp_path,
    emulator,
    load_balancer,
    *,
    environment="staging",
    plant=None,
    exit_code=0,
    rollout="COMPLETED",
):
    emulator.reset(exit_code=exit_code, rollout=rollout)
    root = checkout(tmp_path / "checkout")
    if plant:
        path, old, new = plant
        text = (root / path).read_text()
        assert old in text, (path, old)
        (root / path).write_text(text.replace(old, new))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = emulator.environment(home)
    stacks = create_stacks(root, env, environment, scratch)
    service = stacks["service"]
    target, local = load_balancer
    target.update(
        cluster=service["ClusterName"],
        service=service["ServiceName"],
        host=service["DomainName"],
    )
    bin_dir = curl_stand_in(scratch / "bin", service["ServiceUrl"], local)
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    role = stacks["account"]["DeployRoleArn"]
    run = run_workflow(
        root,
        env,
        inputs={
            "environment": environment,
            "image": f"{stacks['account']['RepositoryUri']}:{COMMIT}",
            "commit": COMMIT,
        },
        variables={
            "AWS_REGION": REGION,
            "STACK_NAME": f"store-{environment}",
            "AWS_DEPLOY_ROLE_ARN": role,
        },
        expected_role=role,
        scratch=scratch,
        # deploy-service.sh's own knob: look at the rollout every 0.2 s, not 15.
        extra_env={"POLL_SECONDS": "0.2"},
    )
    return run, stacks


@pytest.mark.django_db
@pytest.mark.parametrize("environment", ["staging", "production"])
def test_a_deploy_runs_every_step_against_the_emulator(
    tmp_path, emulator, load_balancer, environment
):
    from . import moto_gaps

    run, stacks = rehearse(tmp_path, emulator, load_balancer, environment=environment)

    assert run.failed is None, run.report()
    assert run.names() == STEPS
    service = stacks["service"]
    assert {k: run.outputs["stack"][k] for k in ("ClusterName", "ServiceName")} == {
        "ClusterName": f"store-{environment}",
        "ServiceName": f"store-{environment}",
    }
    ecs = emulator.client("ecs")
    arn = run.outputs["task"]["arn"]
    assert arn.endswith(f":task-definition/store-{environment}:2")
    task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    (container,) = task["containerDefinitions"]
    assert container["image"] == f"{stacks['account']['RepositoryUri']}:{COMMIT}"
    # Every secret is one of the stack's, and the secret exists.
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    expected = {
        "DATABASE_URL": service["DatabaseUrlSecretArn"],
        "SECRET_KEY": service["SecretKeySecretArn"],
        "REDIS_URL": service["RedisUrlSecretArn"],
        "FIELD_ENCRYPTION_KEYS": service["FieldEncryptionKeysSecretArn"],
    }
    if environment == "production":
        expected["DATABASE_REPLICA_URL"] = service["DatabaseReplicaUrlSecretArn"]
    assert secrets == expected
    manager = emulator.client("secretsmanager")
    for secret in secrets.values():
        assert manager.describe_secret(SecretId=secret)["ARN"] == secret
    redis_url = manager.get_secret_value(SecretId=secrets["REDIS_URL"])["SecretString"]
    assert redis_url.startswith("rediss://")  # TLS, as the cache requires
    keys = manager.get_secret_value(SecretId=secrets["FIELD_ENCRYPTION_KEYS"])
    assert len(base64.urlsafe_b64decode(keys["SecretString"])) == 32  # a Fernet key
    # The migration ran once, of the new revision, in the service's network.
    (migration,) = moto_gaps.stand_in.tasks
    migrated, overrides, started_by, network = migration
    assert migrated.task_definition_arn == arn
    assert overrides["containerOverrides"][0]["command"][-2:] == [
        "migrate",
        "--noinput",
    ]
    assert started_by == "migrate-4242"
    (deployed,) = ecs.describe_services(
        cluster=service["ClusterName"], services=[service["ServiceName"]]
    )["services"]
    assert network == deployed["networkConfiguration"]
    subnets = emulator.client("cloudformation").describe_stacks(
        StackName=f"store-{environment}-network"
    )["Stacks"][0]["Outputs"]
    private = next(o for o in subnets if o["OutputKey"] == "PrivateSubnetIds")
    vpc = network["awsvpcConfiguration"]
    assert vpc["subnets"] == private["OutputValue"].split(",")
    assert vpc["securityGroups"] == [service["ServiceSecurityGroupId"]]
    assert vpc["assignPublicIp"] == "DISABLED"
    # The service runs the new revision; the smoke test saw its version.
    assert deployed["taskDefinition"] == arn
    assert f'"version": "{COMMIT}"' in run.steps[-1].output.replace('":"', '": "')
    # The webhook worker: the same image and secrets, its own command, its
    # own service in the egress subnets, now on the new revision.
    worker_arn = run.outputs["worker-task"]["arn"]
    assert worker_arn.endswith(f":task-definition/store-{environment}-worker:2")
    worker_task = ecs.describe_task_definition(taskDefinition=worker_arn)
    (worker,) = worker_task["taskDefinition"]["containerDefinitions"]
    assert worker["image"] == container["image"]
    assert worker["command"] == ["python", "manage.py", "deliver_webhooks"]
    assert {s["name"]: s["valueFrom"] for s in worker["secrets"]} == expected
    assert run.outputs["stack"]["WorkerServiceName"] == f"store-{environment}-worker"
    (worker_service,) = ecs.describe_services(
        cluster=service["ClusterName"], services=[f"store-{environment}-worker"]
    )["services"]
    assert worker_service["taskDefinition"] == worker_arn
    assert not worker_service.get("loadBalancers")
    egress = next(o for o in subnets if o["OutputKey"] == "EgressSubnetIds")
    worker_vpc = worker_service["networkConfiguration"]["awsvpcConfiguration"]
    assert worker_vpc["subnets"] == egress["OutputValue"].split(",")
    assert worker_vpc["securityGroups"] != vpc["securityGroups"]


@pytest.mark.django_db
def test_a_failed_migration_stops_the_deploy_before_the_service_changes(
    tmp_path, emulator, load_balancer
):
    run, stacks = rehearse(tmp_path, emulator, load_balancer, exit_code=1)

    assert run.failed.name == STEPS[4], run.report()
    assert "::error::migrations failed: exit code 1" in run.failed.output
    assert run.names() == STEPS[:5]
    service = stacks["service"]
    (current,) = emulator.client("ecs").describe_services(
        cluster=service["ClusterName"], services=[service["ServiceName"]]
    )["services"]
    assert current["taskDefinition"].endswith(":1")  # the stack's own, untouched


@pytest.mark.django_db
def test_a_rolled_back_rollout_fails_the_job_before_the_smoke_test(
    tmp_path, emulator, load_balancer
):
    run, _ = rehearse(tmp_path, emulator, load_balancer, rollout="FAILED")

    assert run.failed.name == STEPS[5], run.report()
    assert "(state: FAILED)" in run.failed.output
    assert run.names() == STEPS[:6]


# Mistakes tests/deploy's offline checks do not see; each must fail here.
PLANTED = {
    "a --query one level off": (
        ".github/workflows/deploy-environment.yml",
        "--query taskDefinition.taskDefinitionArn",
        "--query taskDefinitionArn",
        STEPS[4],
    ),
    "a misspelt response field": (
        "deploy/ecs/run-migrations.sh",
        "| [0].exitCode",
        "| [0].exitcode",
        STEPS[4],
    ),
    "an export the other stack does not import": (
        "deploy/aws/network.yaml",
        "${AWS::StackName}-PrivateSubnetIds",
        "${AWS::StackName}-PrivateSubnets",
        "No export named store-staging-network-PrivateSubnetIds",
    ),
    "a wrong stack name in a parameter file": (
        "deploy/aws/parameters/service-staging.json",
        '"store-staging-network"',
        '"store-stage-network"',
        "No export named store-stage-network-",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_the_rehearsal_catches_a_planted_mistake(
    tmp_path, emulator, load_balancer, mistake
):
    path, old, new, caught = PLANTED[mistake]
    try:
        run, _ = rehearse(tmp_path, emulator, load_balancer, plant=(path, old, new))
    except RehearsalError as error:
        assert caught in str(error), error
    else:
        assert run.failed is not None, run.report()
        assert run.failed.name == caught, run.report()
