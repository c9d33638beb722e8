"""Every validator of the deploy material, on the committed files.

Each validator runs offline (its binary or data ships in a pinned PyPI
package) and is shown, in its own test, to catch a deliberately broken sample:
a validator that cannot fail would prove nothing.
"""

import copy
import json

import pytest

from . import material
from .material import BIN, ECS, ENVIRONMENTS, REPO, WORKFLOWS, output, run

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
SHELL_SCRIPTS = sorted(ECS.glob("*.sh"))


def test_the_material_is_there():
    names = {path.name for path in WORKFLOW_FILES}
    assert {"ci.yml", "deploy.yml"} <= names
    assert SHELL_SCRIPTS
    for environment in ENVIRONMENTS:
        for template in material.TASK_TEMPLATES.values():
            assert (ECS / f"{template}.{environment}.json").is_file()


# --- hadolint ---------------------------------------------------------------


def hadolint(dockerfile):
    return run([BIN / "hadolint", "--config", REPO / ".hadolint.yaml", dockerfile])


def test_dockerfile_passes_hadolint():
    result = hadolint(REPO / "Dockerfile")
    assert result.returncode == 0, output(result)


def test_hadolint_catches_a_broken_dockerfile(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "FROM python:latest\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "CMD gunicorn store_project.wsgi\n"
    )
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the `latest` tag
    assert "DL3008" in result.stdout  # unpinned apt package


# --- the image's own rules (hadolint does not know them) --------------------


def test_dockerfile_follows_the_image_rules():
    assert material.dockerfile_problems((REPO / "Dockerfile").read_text()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("USER 10001:10001", "USER root"), "runs as root"),
        (("python:3.11.14-slim-trixie AS runtime", "python:3 AS runtime"), "pinned"),
        (("ARG APP_VERSION=unknown", "ENV SECRET_KEY=oops"), "SECRET_KEY is set"),
        (('CMD ["gunicorn", "--config"', 'CMD ["python", "--config"'), "CMD"),
        (("--interval=30s", "--interval=30s --timeout=5s CMD true\n#"), "HEALTH"),
    ],
)
def test_image_rules_catch_a_broken_dockerfile(change, problem):
    text = (REPO / "Dockerfile").read_text()
    old, new = change
    assert old in text
    problems = material.dockerfile_problems(text.replace(old, new, 1))
    assert any(problem in p for p in problems), problems


def test_image_rules_catch_code_copied_before_the_dependencies():
    text = (REPO / "Dockerfile").read_text()
    broken = text.replace("COPY . .\n", "").replace(
        "COPY requirements.txt ./\n", "COPY . .\nCOPY requirements.txt ./\n"
    )
    problems = material.dockerfile_problems(broken)
    assert any("before the code" in p for p in problems), problems


def test_build_context_has_the_runtime_files_and_no_secret_or_clutter():
    context = set(material.build_context(REPO))
    for needed in (
        "manage.py",
        "requirements.txt",
        "deploy/gunicorn.conf.py",
        "deploy/healthcheck.py",
        "store_project/wsgi.py",
    ):
        assert needed in context
    for path in context:
        assert not path.startswith(
            (".git/", ".venv/", ".pgdata/", "tests/", "staticfiles/")
        )
        assert not path.endswith(".pyc"), path
        assert path.split("/")[-1] != ".env", path


def test_build_context_rules_follow_dockerignore(tmp_path):
    (tmp_path / ".dockerignore").write_text("secrets\n**/*.log\n!keep.log\n")
    for path in ("app.py", "secrets/key.pem", "a/b/debug.log", "keep.log"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    assert material.build_context(tmp_path) == [
        ".dockerignore",
        "app.py",
        "keep.log",
    ]


# --- actionlint (with shellcheck on the run: scripts) -------------------------


def actionlint(cwd, *files):
    return run(
        [BIN / "actionlint", "-no-color", "-shellcheck", BIN / "shellcheck", *files],
        cwd=cwd,
    )


def test_workflows_pass_actionlint():
    result = actionlint(REPO, *WORKFLOW_FILES)
    assert result.returncode == 0, output(result)


BROKEN_WORKFLOWS = {
    # An expression naming a context that does not exist.
    "expression": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.no_such_thing }}\n",
        "no_such_thing",
    ),
    # A shell bug only shellcheck sees: proves shellcheck is really wired in.
    "shellcheck": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: |\n          files=$(ls)\n          rm $files\n",
        "SC2086",
    ),
    # An input the action does not have.
    "action input": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v6\n        with:\n"
        "          no-such-input: true\n",
        "no-such-input",
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_WORKFLOWS))
def test_actionlint_catches_a_broken_workflow(tmp_path, kind):
    text, finding = BROKEN_WORKFLOWS[kind]
    workflow = tmp_path / ".github" / "workflows" / "broken.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(text)
    result = actionlint(tmp_path, workflow)
    assert result.returncode != 0
    assert finding in result.stdout, output(result)


# --- the GitHub workflow JSON schema ------------------------------------------


def check_jsonschema(schema, *files):
    return run([BIN / "check-jsonschema", "--builtin-schema", schema, *files])


def test_workflows_pass_the_github_workflow_schema():
    result = check_jsonschema("vendor.github-workflows", *WORKFLOW_FILES)
    assert result.returncode == 0, output(result)


def test_workflow_schema_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n"
        "    timeout-minutes: soon\n    steps:\n      - run: true\n"
    )
    result = check_jsonschema("vendor.github-workflows", broken)
    assert result.returncode != 0
    assert "timeout-minutes" in result.stdout, output(result)


def test_compose_file_passes_the_compose_schema():
    result = check_jsonschema("vendor.compose-spec", REPO / "docker-compose.yml")
    assert result.returncode == 0, output(result)


def test_compose_schema_catches_a_broken_compose_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        (REPO / "docker-compose.yml")
        .read_text()
        .replace("condition: service_healthy", "condition: when_ready", 1)
    )
    result = check_jsonschema("vendor.compose-spec", broken)
    assert result.returncode != 0, output(result)


# --- shellcheck on the deploy scripts -----------------------------------------


def test_deploy_scripts_pass_shellcheck():
    result = run([BIN / "shellcheck", *SHELL_SCRIPTS])
    assert result.returncode == 0, output(result)


def test_shellcheck_catches_a_broken_script(tmp_path):
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/usr/bin/env bash\ncd $1\nif [ $x == 1 ]; then echo; fi\n")
    result = run([BIN / "shellcheck", broken])
    assert result.returncode != 0
    assert "SC2086" in result.stdout


# --- the pipeline's own rules -------------------------------------------------


def test_the_workflows_pipeline_rules():
    deploy = material.workflow("deploy.yml")
    assert (
        material.pipeline_problems(deploy, material.workflow("deploy-environment.yml"))
        == []
    )


@pytest.mark.parametrize(
    ("workflow_name", "break_it", "problem"),
    [
        (
            "deploy.yml",
            lambda w: w.pop("concurrency"),
            "concurrency",
        ),
        (
            "deploy.yml",
            lambda w: w["jobs"]["build"].update(
                {"if": "github.event.workflow_run.conclusion == 'success'"}
            ),
            "workflow_run.event == 'push'",
        ),
        (
            "deploy.yml",
            lambda w: w["jobs"]["production"].pop("needs"),
            "production",
        ),
        (
            "deploy.yml",
            lambda w: w["jobs"]["production"]["with"].update(image="store:rebuilt"),
            "build output",
        ),
        (
            "deploy-environment.yml",
            lambda w: w["jobs"]["deploy"]["steps"][1]["with"].update(
                {"aws-access-key-id": "${{ secrets.KEY }}"}
            ),
            "long-lived",
        ),
    ],
)
def test_pipeline_rules_catch_a_broken_workflow(workflow_name, break_it, problem):
    workflows = {
        name: copy.deepcopy(material.workflow(name))
        for name in ("deploy.yml", "deploy-environment.yml")
    }
    break_it(workflows[workflow_name])
    problems = material.pipeline_problems(
        workflows["deploy.yml"], workflows["deploy-environment.yml"]
    )
    assert any(problem in p for p in problems), problems


# --- ECS task definitions: botocore's RegisterTaskDefinition shape ------------


def workflow_containers() -> set[str]:
    return material.rendered_container_names(
        material.workflow("deploy-environment.yml")
    )


def workflow_container() -> str:
    """The app's container (the one behind the load balancer)."""
    assert "store" in workflow_containers()
    return "store"


def test_the_workflow_renders_every_task_definition_template():
    assert workflow_containers() == set(material.TASK_TEMPLATES)


@pytest.mark.parametrize("container", sorted(material.TASK_TEMPLATES))
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_task_definition_matches_register_task_definition(environment, container):
    task = material.rendered_task_definition(environment, container)
    assert material.shape_errors("RegisterTaskDefinition", task) == ""


@pytest.mark.parametrize(
    "break_it",
    [
        lambda task: task.update(cpus="512"),  # no such parameter
        lambda task: task.update(cpu=512),  # a string in the API
        lambda task: task.pop("containerDefinitions"),  # required
        lambda task: task["containerDefinitions"][0]["secrets"].append(
            {"name": "X"}  # valueFrom is required
        ),
    ],
    ids=["unknown key", "wrong type", "missing containers", "incomplete secret"],
)
def test_botocore_shape_catches_a_broken_task_definition(break_it):
    task = material.rendered_task_definition("staging", workflow_container())
    break_it(task)
    assert material.shape_errors("RegisterTaskDefinition", task) != ""


def test_rendering_refuses_an_unfilled_placeholder():
    render = material.render_module()
    template = (ECS / "task-definition.staging.json").read_text()
    values = dict(material.SAMPLE_VALUES)
    values.pop("SecretKeySecretArn")
    with pytest.raises(render.RenderError, match="SecretKeySecretArn"):
        render.render(template, values, container="store", image="i")
    with pytest.raises(render.RenderError, match="container"):
        render.render(template, material.SAMPLE_VALUES, container="web", image="i")


def test_render_script_runs_as_the_workflow_runs_it(tmp_path):
    outputs = tmp_path / "stack-outputs.json"
    outputs.write_text(
        json.dumps(
            [
                {"OutputKey": key, "OutputValue": value}
                for key, value in material.SAMPLE_VALUES.items()
                if key != "Region"
            ]
        )
    )
    result = run(
        [
            BIN / "python",
            ECS / "render_task_definition.py",
            ECS / "task-definition.production.json",
            "--outputs",
            outputs,
            "--set",
            "Region=eu-west-1",
            "--container",
            workflow_container(),
            "--image",
            material.SAMPLE_IMAGE,
        ]
    )
    assert result.returncode == 0, output(result)
    task = json.loads(result.stdout)
    assert task["containerDefinitions"][0]["image"] == material.SAMPLE_IMAGE
    assert "${" not in result.stdout


# --- ECS task definitions: the rules botocore does not check ------------------


@pytest.mark.parametrize("container", sorted(material.TASK_TEMPLATES))
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_task_definition_follows_the_ecs_rules(environment, container):
    task = material.rendered_task_definition(environment, container)
    assert material.task_definition_problems(task, container) == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_worker_runs_the_webhook_worker_with_the_apps_secrets(environment):
    app = material.rendered_task_definition(environment, "store")
    worker = material.rendered_task_definition(environment, "worker")
    (app_container,) = app["containerDefinitions"]
    (container,) = worker["containerDefinitions"]
    assert container["command"] == ["python", "manage.py", "deliver_webhooks"]
    assert "portMappings" not in container  # nothing to balance
    assert container["secrets"] == app_container["secrets"]
    assert container["healthCheck"]["command"][-1] == "deploy/worker_healthcheck.py"
    plain = {e["name"]: e["value"] for e in container["environment"]}
    app_plain = {e["name"]: e["value"] for e in app_container["environment"]}
    assert plain["DJANGO_ENV"] == app_plain["DJANGO_ENV"]
    assert plain["ALLOWED_HOSTS"] == app_plain["ALLOWED_HOSTS"]
    assert plain["WEBHOOK_HEARTBEAT_FILE"].startswith("/tmp/")
    assert "WEBHOOK_ALLOW_PRIVATE_URLS" not in plain
    assert container["stopTimeout"] > 10  # the send timeout
    assert worker["family"] == f"{app['family']}-worker"


def _move_secret_to_environment(task):
    container = task["containerDefinitions"][0]
    secret = container["secrets"].pop(0)
    container["environment"].append({"name": secret["name"], "value": "postgres://"})


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (lambda task: task.update(cpu="256", memory="4096"), "not a Fargate size"),
        (lambda task: task.update(cpu="1024", memory="1024"), "not a Fargate size"),
        (_move_secret_to_environment, "in plain environment"),
        (
            lambda task: task["containerDefinitions"][0]["logConfiguration"][
                "options"
            ].pop("awslogs-group"),
            "awslogs options missing",
        ),
        (
            lambda task: task["containerDefinitions"][0].update(name="web"),
            "no container named",
        ),
        (
            lambda task: task["containerDefinitions"][0].update(user="0"),
            "runs as root",
        ),
        (lambda task: task.update(networkMode="bridge"), "awsvpc"),
    ],
)
def test_ecs_rules_catch_a_broken_task_definition(break_it, problem):
    container = workflow_container()
    task = material.rendered_task_definition("production", container)
    break_it(task)
    problems = material.task_definition_problems(task, container)
    assert any(problem in p for p in problems), problems


# --- the migration task: RunTask with the committed overrides -----------------


def migrate_overrides() -> dict:
    return json.loads((ECS / "migrate-overrides.json").read_text())


def test_migration_overrides_match_run_task():
    overrides = migrate_overrides()
    assert (
        material.shape_errors("RunTask", material.migration_run_task(overrides)) == ""
    )
    (container,) = overrides["containerOverrides"]
    assert container["name"] == workflow_container()
    assert container["command"][-2:] == ["migrate", "--noinput"]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda o: o["containerOverrides"][0].update(command="manage.py migrate"),
        lambda o: o.update(containerOverride=[]),
        lambda o: o["containerOverrides"][0].update(environment=[{"value": 1}]),
    ],
    ids=["command as a string", "unknown key", "bad environment entry"],
)
def test_botocore_shape_catches_broken_migration_overrides(break_it):
    overrides = migrate_overrides()
    break_it(overrides)
    assert material.shape_errors("RunTask", material.migration_run_task(overrides))
