"""Reading the committed deploy material the way Docker, ECS and Actions do.

Shared by the tests of this folder: a small Dockerfile parser, the
``.dockerignore`` rules, the ECS rules botocore does not check, and the
validator command lines.
"""

import fnmatch
import functools
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = REPO / ".github" / "workflows"
ECS = REPO / "deploy" / "ecs"
ENVIRONMENTS = ("staging", "production")


def run(args: list, cwd: Path = REPO, timeout: int = 180, **kwargs):
    """Run a validator with this virtualenv's tools first on ``PATH``."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


# --- Dockerfile -------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    arguments: str
    stage: int


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if not line:
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The argument list of a JSON exec-form ``CMD``/``ENTRYPOINT``."""
    value = json.loads(arguments)
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"not an exec-form list: {arguments}")
    return value


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def _assignments(arguments: str) -> list[tuple[str, str]]:
    pairs = []
    for token in shlex.split(arguments):
        name, sep, value = token.partition("=")
        pairs.append((name, value if sep else ""))
    return pairs


def image_environment(instructions: list[Instruction]) -> dict[str, str]:
    """The final stage's ``ENV``, with ``ARG`` defaults substituted."""
    values: dict[str, str] = {}

    def expand(value: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ""), value)

    for instruction in final_stage(instructions):
        if instruction.keyword in ("ARG", "ENV"):
            for name, value in _assignments(instruction.arguments):
                values[name] = expand(value)
    env_names = {
        name
        for i in final_stage(instructions)
        if i.keyword == "ENV"
        for name, _ in _assignments(i.arguments)
    }
    return {name: values[name] for name in env_names}


SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|API_?KEY")


def dockerfile_problems(text: str) -> list[str]:
    """The issue's rules for the image that hadolint does not check."""
    problems = []
    instructions = dockerfile_instructions(text)
    if not instructions:
        return ["empty Dockerfile"]
    froms = [i for i in instructions if i.keyword == "FROM"]
    if len(froms) < 2:
        problems.append("not multi-stage")
    for instruction in froms:
        if not re.match(r"python:3\.11\.\d+-slim(-\w+)?\b", instruction.arguments):
            problems.append(f"base not a pinned slim Python 3.11: {instruction}")
    final = final_stage(instructions)
    users = [i.arguments for i in final if i.keyword == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        problems.append("the final stage runs as root")
    healthchecks = [i.arguments for i in final if i.keyword == "HEALTHCHECK"]
    if not healthchecks or "healthcheck.py" not in healthchecks[-1]:
        problems.append("no HEALTHCHECK running deploy/healthcheck.py")
    cmds = [i.arguments for i in final if i.keyword == "CMD"]
    try:
        cmd = exec_form(cmds[-1]) if cmds else []
    except ValueError:
        cmd = []
    if cmd[:1] != ["gunicorn"] or "--config" not in cmd:
        problems.append("CMD is not gunicorn with a committed --config file")
    copies = [
        (n, i.arguments)
        for n, i in enumerate(instructions)
        if i.keyword == "COPY" and "--from" not in i.arguments
    ]
    requirements = [n for n, a in copies if a.startswith("requirements")]
    everything = [n for n, a in copies if a.split()[0] == "."]
    installs = [
        n
        for n, i in enumerate(instructions)
        if i.keyword == "RUN" and "pip install" in i.arguments
    ]
    if not (requirements and everything and installs) or not (
        requirements[0] < installs[0] < everything[0]
    ):
        problems.append("dependencies are not installed before the code is copied")
    if not any(
        i.keyword == "RUN" and "collectstatic" in i.arguments for i in instructions
    ):
        problems.append("collectstatic does not run at build time")
    for instruction in instructions:
        if instruction.keyword in ("ENV", "ARG"):
            for name, value in _assignments(instruction.arguments):
                if SECRET_NAME.search(name.upper()) and value:
                    problems.append(f"{name} is set in a layer ({instruction})")
        if instruction.keyword in ("COPY", "ADD") and re.search(
            r"(^|\s)\.env\b", instruction.arguments
        ):
            problems.append(f"a .env file is copied: {instruction}")
    return problems


def collectstatic_command(instructions: list[Instruction]) -> str:
    (command,) = [
        i.arguments
        for i in instructions
        if i.keyword == "RUN" and "collectstatic" in i.arguments
    ]
    return command


# --- .dockerignore ----------------------------------------------------------


def dockerignore_patterns(text: str) -> list[tuple[bool, str]]:
    """``(exclude, pattern)`` pairs, in file order (the last match wins)."""
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        patterns.append((exclude, os.path.normpath(pattern)))
    return patterns


def _matches(pattern: str, path: str) -> bool:
    """Docker's matching: a pattern that matches a parent excludes the child."""
    parts = path.split("/")
    regex = fnmatch.translate(pattern).replace(".*.*/", "(.*/)?")
    return any(re.match(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1))


def build_context(root: Path) -> list[str]:
    """Relative paths of the files Docker would send as the build context."""
    patterns = dockerignore_patterns((root / ".dockerignore").read_text())
    files = []
    for directory, dirnames, filenames in os.walk(root):
        relative_dir = os.path.relpath(directory, root)
        for name in filenames:
            path = os.path.normpath(os.path.join(relative_dir, name))
            excluded = False
            for exclude, pattern in patterns:
                if _matches(pattern, path):
                    excluded = exclude
            if not excluded:
                files.append(path)
        # Skip big trees that are ignored whole (a negation could not re-add
        # anything beneath them here: none of ours does).
        dirnames[:] = [
            d
            for d in dirnames
            if not any(
                exclude and _matches(pattern, os.path.join(relative_dir, d))
                for exclude, pattern in patterns
            )
            or any(not exclude for exclude, _ in patterns)
        ]
    return sorted(files)


# --- ECS --------------------------------------------------------------------


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_module = functools.partial(
    load_module, ECS / "render_task_definition.py", "render_task_definition"
)

# What the stack outputs look like, for rendering the templates here.
SAMPLE_VALUES = {
    "Region": "eu-west-1",
    "TaskExecutionRoleArn": "arn:aws:iam::123456789012:role/store-staging-execution",
    "TaskRoleArn": "arn:aws:iam::123456789012:role/store-staging-task",
    "LogGroupName": "/ecs/store-staging",
    "DatabaseUrlSecretArn": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:store/database-url-AbCdEf"
    ),
    "SecretKeySecretArn": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:store/secret-key-AbCdEf"
    ),
    "FieldEncryptionKeysSecretArn": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:store/keys-AbCdEf"
    ),
    "DatabaseReplicaUrlSecretArn": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:store/replica-url-AbCdEf"
    ),
    "RedisUrlSecretArn": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:store/redis-url-AbCdEf"
    ),
    "DomainName": "store.example.test",
}
SAMPLE_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/store:0123abcd"

# Fargate's valid task sizes: cpu units -> memory MiB.
FARGATE_SIZES = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
    8192: set(range(16384, 61441, 4096)),
    16384: set(range(32768, 122881, 8192)),
}
REQUIRED_SECRETS = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"}
AWSLOGS_OPTIONS = {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"}


# Each container the workflow deploys, and its task definition templates.
TASK_TEMPLATES = {"store": "task-definition", "worker": "worker-task-definition"}


def rendered_task_definition(environment: str, container: str) -> dict:
    name = TASK_TEMPLATES[container]
    template = (ECS / f"{name}.{environment}.json").read_text()
    return render_module().render(
        template, SAMPLE_VALUES, container=container, image=SAMPLE_IMAGE
    )


@functools.cache
def ecs_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("ecs")


def shape_errors(operation: str, params: dict) -> str:
    """botocore's validation of ``params`` as the input of an ECS operation."""
    from botocore.validate import ParamValidator

    shape = ecs_model().operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else ""


def task_definition_problems(task: dict, container: str) -> list[str]:
    """The rules ECS enforces (or we want) that the API shape does not state."""
    problems = []
    if task.get("requiresCompatibilities") != ["FARGATE"]:
        problems.append("requiresCompatibilities is not [FARGATE]")
    if task.get("networkMode") != "awsvpc":
        problems.append("networkMode is not awsvpc")
    try:
        cpu, memory = int(task["cpu"]), int(task["memory"])
    except (KeyError, ValueError):
        problems.append("task-level cpu and memory are required on Fargate")
    else:
        if memory not in FARGATE_SIZES.get(cpu, ()):
            problems.append(f"cpu {cpu} / memory {memory} is not a Fargate size")
    if not task.get("executionRoleArn", "").startswith("arn:aws:iam::"):
        problems.append("no executionRoleArn (needed for secrets and awslogs)")
    definitions = task.get("containerDefinitions", [])
    named = [d for d in definitions if d.get("name") == container]
    if len(named) != 1:
        problems.append(f"no container named {container!r}, the workflow's")
    for definition in definitions:
        name = definition.get("name")
        log = definition.get("logConfiguration", {})
        if log.get("logDriver") != "awslogs":
            problems.append(f"{name}: logDriver is not awslogs")
        missing = AWSLOGS_OPTIONS - set(log.get("options", {}))
        if missing:
            problems.append(f"{name}: awslogs options missing: {sorted(missing)}")
        plain = {e["name"] for e in definition.get("environment", [])}
        for variable in plain:
            if variable in REQUIRED_SECRETS or SECRET_NAME.search(variable):
                problems.append(f"{name}: {variable} in plain environment")
        secrets = {s["name"]: s["valueFrom"] for s in definition.get("secrets", [])}
        for variable in sorted(REQUIRED_SECRETS - set(secrets)):
            problems.append(f"{name}: {variable} not from Secrets Manager")
        for variable, value_from in secrets.items():
            if not value_from.startswith("arn:aws:secretsmanager:"):
                problems.append(f"{name}: {variable} not a Secrets Manager ARN")
        if "command" not in definition.get("healthCheck", {}):
            problems.append(f"{name}: no container health check")
        if definition.get("user", "root").split(":")[0] in ("0", "root"):
            problems.append(f"{name}: runs as root")
        if definition.get("readonlyRootFilesystem") is not True:
            problems.append(f"{name}: root file system not read-only")
    return problems


def migration_run_task(overrides: dict) -> dict:
    """The RunTask call run-migrations.sh makes, with its committed overrides."""
    return {
        "cluster": "store-staging",
        "taskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/s:1",
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0123456789abcdef0"],
                "securityGroups": ["sg-0123456789abcdef0"],
                "assignPublicIp": "DISABLED",
            }
        },
        "overrides": overrides,
        "startedBy": "migrate-1",
    }


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def run_commands(workflow_document: dict) -> list[list[str]]:
    """Every ``run:`` script of a workflow, split into shell words."""
    commands = []
    for job in workflow_document.get("jobs", {}).values():
        for step in job.get("steps", []):
            if "run" in step:
                commands.append(shlex.split(step["run"], comments=True))
    return commands


def rendered_container_names(workflow_document: dict) -> set[str]:
    """The ``--container`` values the workflow passes to the render script."""
    names = set()
    for words in run_commands(workflow_document):
        for n, word in enumerate(words):
            if word.endswith("render_task_definition.py"):
                rest = words[n:]
                names.update(
                    rest[k + 1] for k, w in enumerate(rest[:-1]) if w == "--container"
                )
    return names


def _steps(workflow_document: dict):
    for job_name, job in workflow_document.get("jobs", {}).items():
        for step in job.get("steps", []):
            yield job_name, step


def pipeline_problems(deploy: dict, callee: dict) -> list[str]:
    """The issue's pipeline rules: OIDC, order, approval, one image, no overlap."""
    problems = []
    triggers = deploy.get("on", deploy.get(True, {})) or {}
    run_trigger = triggers.get("workflow_run", {})
    if run_trigger.get("workflows") != ["CI"] or run_trigger.get("branches") != [
        "main"
    ]:
        problems.append("deploy does not follow CI on main (workflow_run)")
    if "workflow_dispatch" not in triggers:
        problems.append("deploy cannot be started by hand")
    build_condition = str(deploy.get("jobs", {}).get("build", {}).get("if", ""))
    for condition in (
        "workflow_run.conclusion == 'success'",
        "workflow_run.event == 'push'",
        "head_repository.full_name == github.repository",
    ):
        if condition not in build_condition:
            problems.append(f"the build job does not require {condition}")
    concurrency = deploy.get("concurrency")
    if not isinstance(concurrency, dict) or concurrency.get("cancel-in-progress"):
        problems.append("no concurrency group that queues deploys")
    for name, document in (("deploy", deploy), ("callee", callee)):
        if (document.get("permissions") or {}).get("id-token") != "write":
            problems.append(f"{name}: no id-token: write for OIDC")
        for _, step in _steps(document):
            inputs = step.get("with", {}) or {}
            if "aws-access-key-id" in inputs or "aws-secret-access-key" in inputs:
                problems.append(f"{name}: long-lived AWS keys in {step}")
            if (
                str(step.get("uses", "")).startswith(
                    "aws-actions/configure-aws-credentials"
                )
                and "role-to-assume" not in inputs
            ):
                problems.append(f"{name}: AWS credentials without role-to-assume")
    jobs = deploy.get("jobs", {})
    builders = [
        job_name
        for job_name, step in _steps(deploy)
        if str(step.get("uses", "")).startswith("docker/build-push-action")
    ]
    if builders != ["build"]:
        problems.append(f"the image must be built by one job, 'build': {builders}")
    image = "${{ needs.build.outputs.image }}"
    for environment, needs in (("staging", {"build"}), ("production", {"staging"})):
        job = jobs.get(environment, {})
        job_needs = job.get("needs", [])
        job_needs = {job_needs} if isinstance(job_needs, str) else set(job_needs)
        if not needs <= job_needs:
            problems.append(f"{environment} does not wait for {needs}")
        inputs = job.get("with", {})
        if inputs.get("environment") != environment:
            problems.append(f"{environment} job deploys to {inputs.get('environment')}")
        if inputs.get("image") != image:
            problems.append(f"{environment} does not deploy the build output")
    environment = callee.get("jobs", {}).get("deploy", {}).get("environment", {})
    if "inputs.environment" not in str(environment):
        problems.append("callee job not bound to the GitHub Environment (approval)")
    scripts = [
        word
        for words in run_commands(callee)
        for word in words
        if word.startswith("deploy/ecs/")
    ]
    # The migrations, the app's service, the webhook worker's, the smoke test.
    order = [
        "run-migrations.sh",
        "deploy-service.sh",
        "deploy-service.sh",
        "smoke-test.sh",
    ]
    found = [s.rsplit("/", 1)[-1] for s in scripts if s.endswith(".sh")]
    if found != order:
        problems.append(f"callee steps out of order: {found}, expected {order}")
    return problems
