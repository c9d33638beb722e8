"""The deploy rehearsal: the AWS delivery run against moto in server mode.

An emulator (moto's ``ThreadedMotoServer`` on 127.0.0.1, with the gaps of
``moto_gaps`` patched) stands in for the AWS account. The AWS CLI creates the
CloudFormation stacks from ``deploy/aws/`` and its parameter files, in the
order deploy/README.md gives; then the steps of
``.github/workflows/deploy-environment.yml`` run in order, each ``run:``
script as GitHub runs it (bash -eo pipefail, its ``env:`` with the
``${{ ... }}`` expressions filled, ``$GITHUB_OUTPUT`` read back), with the
repo's own scripts and the real ``aws`` command.

Everything runs in a copy of the files (``checkout``), so that a test can
plant a mistake in the copy and see the rehearsal catch it.
"""

import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.helpers import free_port

from . import moto_gaps
from .material import BIN, REPO

REGION = "ca-central-1"  # the region of the parameter files' ARNs
ACCOUNT = "123456789012"  # moto's account, the parameter files' example one
CHECKOUT = ("deploy", ".github/workflows")
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class RehearsalError(AssertionError):
    """The rehearsal met something it cannot do: the material or the harness."""


def checkout(target: Path) -> Path:
    """The deploy material, as the workflow's actions/checkout leaves it."""
    for relative in CHECKOUT:
        shutil.copytree(REPO / relative, target / relative)
    return target


class Emulator:
    """moto in server mode on a free loopback port, the gaps patched."""

    def __init__(self):
        from moto.server import ThreadedMotoServer

        moto_gaps.apply()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        self.server.start()

    def reset(self, **stand_in):
        """An empty account again (moto's own reset API), and new outcomes."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        moto_gaps.stand_in.reset(**stand_in)

    def stop(self):
        self.server.stop()

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="rehearsal",
            aws_secret_access_key="rehearsal",
        )

    def environment(self, home: Path) -> dict[str, str]:
        """A process environment whose ``aws`` talks to the emulator."""
        return {
            "PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "rehearsal",
            "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_MAX_ATTEMPTS": "1",  # an error is an error, not a retry
            "AWS_PAGER": "",
        }


def sh(command: list[str], env: dict, cwd: Path, timeout: float = 120):
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def aws(env: dict, cwd: Path, *args: str) -> str:
    result = sh(["aws", *args], env, cwd)
    if result.returncode != 0:
        raise RehearsalError(
            f"aws {' '.join(args)}: exit {result.returncode}\n{result.stderr}"
        )
    return result.stdout


# --- the stacks ----------------------------------------------------------------


def self_signed_certificate(domain: str, directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "certificate.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def parameter(path: Path, key: str) -> str:
    for item in json.loads(path.read_text()):
        if item["ParameterKey"] == key:
            return item["ParameterValue"]
    raise RehearsalError(f"{path.name} has no parameter {key}")


def create_stack(env, aws_dir: Path, name: str, template: str, parameters: Path):
    """create-stack as deploy/README.md runs it, then its waiter and status."""
    aws(
        env,
        aws_dir,
        "cloudformation",
        "create-stack",
        "--stack-name",
        name,
        "--template-body",
        f"file://{template}",
        "--parameters",
        f"file://{parameters}",
        "--capabilities",
        "CAPABILITY_NAMED_IAM",
    )
    aws(
        env,
        aws_dir,
        "cloudformation",
        "wait",
        "stack-create-complete",
        "--stack-name",
        name,
    )
    status = aws(
        env,
        aws_dir,
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        name,
        "--query",
        "Stacks[0].StackStatus",
        "--output",
        "text",
    ).strip()
    if status != "CREATE_COMPLETE":
        raise RehearsalError(f"stack {name}: {status}")


def stack_outputs(env, cwd, name: str) -> dict[str, str]:
    outputs = json.loads(
        aws(
            env,
            cwd,
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            name,
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "json",
        )
    )
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def create_stacks(root: Path, env: dict, environment: str, scratch: Path) -> dict:
    """The account, network and service stacks of one environment.

    The values changed from the parameter files are those the README asks
    of a real account too: CertificateArn (ACM must hold the certificate, so
    a self-signed one for the DomainName is imported into the emulator's ACM
    first and its ARN given instead of the example one), and
    FieldEncryptionKeysSecretArn (the secret holding a new Fernet key, made
    as the README's command makes it).
    """
    aws_dir = root / "deploy" / "aws"
    parameters = aws_dir / "parameters"
    create_stack(
        env, aws_dir, "store-account", "account.yaml", parameters / "account.json"
    )
    create_stack(
        env,
        aws_dir,
        f"store-{environment}-network",
        "network.yaml",
        parameters / f"network-{environment}.json",
    )
    service_parameters = parameters / f"service-{environment}.json"
    domain = parameter(service_parameters, "DomainName")
    example = parameter(service_parameters, "CertificateArn")
    if f":acm:{REGION}:" not in example:
        raise RehearsalError(f"CertificateArn {example} is not in {REGION}")
    certificate, key = self_signed_certificate(domain, scratch)
    arn = aws(
        env,
        aws_dir,
        "acm",
        "import-certificate",
        "--certificate",
        f"fileb://{certificate}",
        "--private-key",
        f"fileb://{key}",
        "--query",
        "CertificateArn",
        "--output",
        "text",
    ).strip()
    keys = aws(
        env,
        aws_dir,
        "secretsmanager",
        "create-secret",
        "--name",
        f"store/{environment}/field-encryption-keys",
        # One argument: a key may start with "-", which the CLI would read
        # as an option.
        "--secret-string=" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "--query",
        "ARN",
        "--output",
        "text",
    ).strip()
    with_certificate = scratch / f"service-{environment}.json"
    values = json.loads(service_parameters.read_text())
    for item in values:
        if item["ParameterKey"] == "CertificateArn":
            item["ParameterValue"] = arn
        if item["ParameterKey"] == "FieldEncryptionKeysSecretArn":
            item["ParameterValue"] = keys
    with_certificate.write_text(json.dumps(values))
    create_stack(env, aws_dir, f"store-{environment}", "service.yaml", with_certificate)
    return {
        "account": stack_outputs(env, aws_dir, "store-account"),
        "service": stack_outputs(env, aws_dir, f"store-{environment}"),
    }


# --- the workflow ----------------------------------------------------------------


@dataclass
class Step:
    name: str
    returncode: int
    output: str


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def failed(self) -> Step | None:
        return next((s for s in self.steps if s.returncode != 0), None)

    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def report(self) -> str:
        return "\n".join(
            f"--- {s.name}: exit {s.returncode}\n{s.output}" for s in self.steps
        )


def evaluate(text: str, context: dict) -> str:
    """Fill ``${{ a.b.c }}`` from ``context``; anything else is refused."""

    def value(match):
        expression = match.group(1)
        if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)+", expression):
            raise RehearsalError(f"cannot evaluate ${{{{ {expression} }}}}")
        current = context
        for part in expression.split("."):
            if not isinstance(current, dict) or part not in current:
                raise RehearsalError(f"${{{{ {expression} }}}} has no value here")
            current = current[part]
        return str(current)

    return EXPRESSION.sub(value, str(text))


def read_outputs(path: Path) -> dict[str, str]:
    outputs = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            outputs[key] = value
    return outputs


def run_workflow(
    root: Path,
    env: dict,
    *,
    inputs: dict[str, str],
    variables: dict[str, str],
    expected_role: str,
    scratch: Path,
    extra_env: dict[str, str] | None = None,
) -> Run:
    """The deploy job's steps in order; stops at the first that fails."""
    document = yaml.safe_load(
        (root / ".github" / "workflows" / "deploy-environment.yml").read_text()
    )
    (job,) = document["jobs"].values()
    context = {"inputs": inputs, "vars": variables, "steps": {}}
    job_env = {k: evaluate(v, context) for k, v in (job.get("env") or {}).items()}
    process_env = {**env, **job_env, "GITHUB_RUN_ID": "4242", **(extra_env or {})}
    run = Run()
    for number, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if "uses" in step:
            action = step["uses"].split("@")[0]
            arguments = {
                k: evaluate(v, context) for k, v in step.get("with", {}).items()
            }
            if action == "actions/checkout":
                # The copy under ``root`` is that checkout.
                run.steps.append(Step(name, 0, f"checked out {arguments}"))
            elif action == "aws-actions/configure-aws-credentials":
                # OIDC cannot run here: the emulator takes any key. What the
                # action is given must still be the account stack's role and
                # the region, and the action exports the region as it does.
                problems = []
                if arguments.get("role-to-assume") != expected_role:
                    problems.append(f"role {arguments.get('role-to-assume')!r}")
                if arguments.get("aws-region") != REGION:
                    problems.append(f"region {arguments.get('aws-region')!r}")
                process_env["AWS_REGION"] = process_env["AWS_DEFAULT_REGION"] = (
                    arguments.get("aws-region", "")
                )
                run.steps.append(Step(name, 1 if problems else 0, "; ".join(problems)))
            else:
                raise RehearsalError(f"the rehearsal cannot run the action {action}")
        else:
            output_file = scratch / f"output-{number}"
            output_file.write_text("")
            script = scratch / f"step-{number}.sh"
            script.write_text(evaluate(step["run"], context))
            step_env = {
                **process_env,
                **{k: evaluate(v, context) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(output_file),
            }
            result = sh(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                step_env,
                root,
                timeout=180,
            )
            run.steps.append(
                Step(name, result.returncode, result.stdout + result.stderr)
            )
            if "id" in step:
                outputs = read_outputs(output_file)
                context["steps"][step["id"]] = {"outputs": outputs}
                run.outputs[step["id"]] = outputs
        if run.steps[-1].returncode != 0:
            break
    return run


CURL_STAND_IN = """#!/usr/bin/env bash
# The load balancer's URL cannot be served here: requests to {public} go to
# the stand-in on {local}; any other URL is refused, so a script that reads the
# wrong URL fails as it would against AWS.
args=()
for arg in "$@"; do
  case $arg in
    {public}/*) arg="{local}/${{arg#{public}/}}" ;;
    http://* | https://*)
      echo "curl stand-in: $arg is not the load balancer" >&2
      exit 6
      ;;
  esac
  args+=("$arg")
done
exec {curl} "${{args[@]}}"
"""


def curl_stand_in(directory: Path, public: str, local: str) -> Path:
    """A ``curl`` first on PATH that sends the service's URL to ``local``."""
    directory.mkdir(parents=True, exist_ok=True)
    curl = directory / "curl"
    curl.write_text(
        CURL_STAND_IN.format(
            public=public.rstrip("/"), local=local, curl=shutil.which("curl")
        )
    )
    curl.chmod(0o755)
    return directory
