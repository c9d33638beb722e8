"""Infrastructure as code: CloudFormation for AWS, the Helm chart for EKS.

Validators (pinned in requirements-dev.txt, all offline): cfn-lint, trivy's
misconfiguration checks (``trivy config`` with its embedded checks bundle),
Helm's linter and renderer through helm-python-sdk (the Go library, no helm
binary), kubernetes-validate's bundled OpenAPI schemas. Each is shown to catch
a deliberately broken sample.
"""

import copy
import json
import shlex
import shutil
import tempfile

import pytest
import yaml
from cfnlint.decode import decode_str

from . import material
from .material import BIN, ECS, REPO, output, run

AWS = REPO / "deploy" / "aws"
PARAMETERS = AWS / "parameters"
CHART = REPO / "deploy" / "helm" / "store"
VALUES_FILES = ["values.yaml", "values-staging.yaml", "values-production.yaml"]
# EKS's current versions with standard support; the schemas ship with
# kubernetes-validate.
KUBERNETES_VERSIONS = ["1.34.0", "1.35.0"]
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"

TEMPLATES = sorted(AWS.glob("*.yaml"))
# Each parameter file is named after its template: <template>[-<environment>].
STACKS = [
    (AWS / f"{path.stem.split('-')[0]}.yaml", path)
    for path in sorted(PARAMETERS.glob("*.json"))
]


def load_template(path):
    template, matches = decode_str(path.read_text())
    assert not matches, matches
    return template


# --- cfn-lint -------------------------------------------------------------------


def cfn_lint(*templates_then_parameter_files):
    templates = [p for p in templates_then_parameter_files if p.suffix == ".yaml"]
    parameter_files = [p for p in templates_then_parameter_files if p.suffix != ".yaml"]
    args = [BIN / "cfn-lint", *templates]
    if parameter_files:
        args += ["--parameter-files", *parameter_files]
    return run(args)


def test_every_template_has_parameter_files():
    assert {template for template, _ in STACKS} == set(TEMPLATES)
    assert {p.name for _, p in STACKS} >= {
        "service-staging.json",
        "service-production.json",
    }


def test_templates_pass_cfn_lint():
    result = cfn_lint(*TEMPLATES)
    assert result.returncode == 0, output(result)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_passes_cfn_lint_with_its_parameters(template):
    parameter_files = [p for t, p in STACKS if t == template]
    result = cfn_lint(template, *parameter_files)
    assert result.returncode == 0, output(result)
    declared = load_template(template)["Parameters"]
    required = {name for name, spec in declared.items() if "Default" not in spec}
    for parameters in parameter_files:
        given = {p["ParameterKey"] for p in json.loads(parameters.read_text())}
        assert given <= set(declared), (parameters.name, given - set(declared))
        assert required <= given, (parameters.name, required - given)


def test_cfn_lint_catches_a_broken_template(tmp_path):
    broken = tmp_path / "service.yaml"
    broken.write_text(
        (AWS / "service.yaml")
        .read_text()
        .replace("StorageEncrypted: true", "StorageEncrypted: maybe")
        .replace("Type: AWS::ECS::Cluster", "Type: AWS::ECS::Clusters")
    )
    result = cfn_lint(broken)
    assert result.returncode != 0
    assert "E3012" in result.stdout, output(result)  # maybe is not a boolean
    assert "E3006" in result.stdout, output(result)  # no such resource type


def test_cfn_lint_catches_a_bad_parameter_value(tmp_path):
    parameters = json.loads((PARAMETERS / "service-staging.json").read_text())
    for parameter in parameters:
        if parameter["ParameterKey"] == "Environment":
            parameter["ParameterValue"] = "prod"
    broken = tmp_path / "service-staging.json"
    broken.write_text(json.dumps(parameters))
    result = cfn_lint(AWS / "service.yaml", broken)
    assert result.returncode != 0
    assert "E2900" in result.stdout, output(result)


# --- the templates' own rules ---------------------------------------------------


def resources_of_type(template, kind):
    return {
        name: resource.get("Properties", {})
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def service_problems(template) -> list[str]:
    """What the issue asks of the environment stack, beyond cfn-lint."""
    problems = []
    for name, db in resources_of_type(template, "AWS::RDS::DBInstance").items():
        if "SourceDBInstanceIdentifier" in db:
            # A read replica: its engine, storage and encryption are the
            # primary's (AWS refuses them on a replica); it must be private.
            if db.get("SourceDBInstanceIdentifier") != {"Ref": "Database"}:
                problems.append(f"{name}: not a replica of Database")
            if db.get("PubliclyAccessible") is not False:
                problems.append(f"{name}: PubliclyAccessible is not False")
            if db.get("VPCSecurityGroups") != [{"Ref": "DatabaseSecurityGroup"}]:
                problems.append(f"{name}: not in the database's security group")
            continue
        for key, wanted in (
            ("Engine", "postgres"),
            ("MultiAZ", True),
            ("StorageEncrypted", True),
            ("DeletionProtection", True),
            ("PubliclyAccessible", False),
        ):
            if db.get(key) != wanted:
                problems.append(f"{name}: {key} is not {wanted}")
        if not db.get("BackupRetentionPeriod"):
            problems.append(f"{name}: no automated backups")
    for name, service in resources_of_type(template, "AWS::ECS::Service").items():
        breaker = service.get("DeploymentConfiguration", {}).get(
            "DeploymentCircuitBreaker", {}
        )
        if breaker != {"Enable": True, "Rollback": True}:
            problems.append(f"{name}: no deployment circuit breaker with rollback")
        network = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        if network.get("AssignPublicIp") != "DISABLED":
            problems.append(f"{name}: tasks get a public IP")
    metrics = {
        policy["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]
        for policy in resources_of_type(
            template, "AWS::ApplicationAutoScaling::ScalingPolicy"
        ).values()
    }
    for metric in ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"):
        if metric not in metrics:
            problems.append(f"no autoscaling on {metric}")
    listeners = resources_of_type(template, "AWS::ElasticLoadBalancingV2::Listener")
    for name, listener in listeners.items():
        actions = [action["Type"] for action in listener.get("DefaultActions", [])]
        if listener.get("Protocol") == "HTTP" and actions != ["redirect"]:
            problems.append(f"{name}: plain HTTP is served, not redirected")
    if not any(listener.get("Protocol") == "HTTPS" for listener in listeners.values()):
        problems.append("no HTTPS listener")
    for name, group in resources_of_type(template, "AWS::Logs::LogGroup").items():
        if "RetentionInDays" not in group:
            problems.append(f"{name}: logs kept forever")
    ingress = resources_of_type(template, "AWS::EC2::SecurityGroupIngress")
    into_database = [
        rule
        for rule in ingress.values()
        if rule.get("GroupId") == {"Ref": "DatabaseSecurityGroup"}
    ]
    sources = [rule.get("SourceSecurityGroupId") for rule in into_database]
    allowed = [{"Ref": "ServiceSecurityGroup"}, {"Ref": "WorkerSecurityGroup"}]
    if sorted(map(str, sources)) != sorted(map(str, allowed)):
        problems.append(
            f"database reachable from {sources}, not the service and the worker only"
        )
    services = resources_of_type(template, "AWS::ECS::Service")
    balanced = [name for name, svc in services.items() if svc.get("LoadBalancers")]
    if len(services) - len(balanced) != 1:
        problems.append("no webhook worker service (one without a load balancer)")
    problems += retention_rule_problems(template)
    problems += cache_problems(template, ingress)
    return problems


def cache_problems(template, ingress) -> list[str]:
    """Redis: encrypted both ways, private, reachable from the tasks only."""
    problems = []
    caches = resources_of_type(template, "AWS::ElastiCache::ReplicationGroup")
    if not caches:
        return ["no Redis cache"]
    subnet_groups = resources_of_type(template, "AWS::ElastiCache::SubnetGroup")
    private = {
        "Fn::Split": [
            ",",
            {"Fn::ImportValue": {"Fn::Sub": "${NetworkStackName}-PrivateSubnetIds"}},
        ]
    }
    for name, cache in caches.items():
        for key in ("TransitEncryptionEnabled", "AtRestEncryptionEnabled"):
            if cache.get(key) is not True:
                problems.append(f"{name}: {key} is not True")
        if "resolve:secretsmanager" not in json.dumps(cache.get("AuthToken")):
            problems.append(f"{name}: no AUTH token from Secrets Manager")
        group = subnet_groups.get(cache.get("CacheSubnetGroupName", {}).get("Ref"))
        if group is None or group.get("SubnetIds") != private:
            problems.append(f"{name}: not in the private subnets")
        for group_ref in cache.get("SecurityGroupIds", []):
            sources = [
                rule.get("SourceSecurityGroupId")
                for rule in ingress.values()
                if rule.get("GroupId") == group_ref
            ]
            inline = template["Resources"][group_ref["Ref"]]["Properties"].get(
                "SecurityGroupIngress", []
            )
            if sources != [{"Ref": "ServiceSecurityGroup"}] or inline:
                problems.append(f"cache reachable from {sources}, not the tasks only")
    return problems


def retention_rule_problems(template) -> list[str]:
    """enforce_retention runs daily as a one-off task of the service's own
    latest task definition, where the service's tasks run."""
    rules = resources_of_type(template, "AWS::Events::Rule")
    if len(rules) != 1:
        return [f"{len(rules)} EventBridge rules, not one for retention"]
    ((name, rule),) = rules.items()
    problems = []
    schedule = template["Parameters"]["RetentionSchedule"]["Default"]
    if rule.get("ScheduleExpression") != {"Ref": "RetentionSchedule"} or not (
        schedule.startswith("cron(") and schedule.split()[2:5] == ["*", "*", "?"]
    ):
        problems.append(f"{name}: retention is not daily ({schedule})")
    (target,) = rule["Targets"]
    ecs = target.get("EcsParameters", {})
    # The app's service (behind the load balancer), not the webhook worker's.
    (service,) = [
        service
        for service in resources_of_type(template, "AWS::ECS::Service").values()
        if service.get("LoadBalancers")
    ]
    task = template["Resources"][service["TaskDefinition"]["Ref"]]["Properties"]
    if target.get("Arn") != {"Fn::GetAtt": ["Cluster", "Arn"]}:
        problems.append(f"{name}: not on the service's cluster")
    family = task["Family"]["Fn::Sub"]
    if (
        not ecs.get("TaskDefinitionArn", {})
        .get("Fn::Sub", "")
        .endswith(f":task-definition/{family}")
    ):
        problems.append(f"{name}: not the service's latest task definition")
    network = ecs.get("NetworkConfiguration", {}).get("AwsVpcConfiguration", {})
    service_network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    if network.get("AssignPublicIp") != "DISABLED":
        problems.append(f"{name}: the task gets a public IP")
    if (network.get("Subnets"), network.get("SecurityGroups")) != (
        service_network["Subnets"],
        service_network["SecurityGroups"],
    ):
        problems.append(f"{name}: not in the service's subnets and security group")
    overrides = json.loads(retention_input(template))
    (container,) = overrides["containerOverrides"]
    if container["name"] != task["ContainerDefinitions"][0]["Name"]:
        problems.append(f"{name}: overrides container {container['name']!r}")
    if container.get("command", [])[:3] != ["python", "manage.py", "enforce_retention"]:
        problems.append(f"{name}: runs {container.get('command')}")
    role = template["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    actions = {
        rule["Action"]
        for policy in role["Policies"]
        for rule in policy["PolicyDocument"]["Statement"]
    }
    if actions != {"ecs:RunTask", "iam:PassRole"}:
        problems.append(f"{name}: its role may do {sorted(actions)}")
    return problems


def retention_input(template) -> str:
    """The rule's Input (run-task overrides) with its parameter filled in."""
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    days = template["Parameters"]["ClientRetentionDays"]["Default"]
    text = rule["Targets"][0]["Input"]
    text = text["Fn::Sub"] if isinstance(text, dict) else text
    return text.replace("${ClientRetentionDays}", str(days))


def test_the_retention_rule_sends_run_task_overrides_ecs_accepts():
    from django.core.management import get_commands

    overrides = json.loads(retention_input(load_template(AWS / "service.yaml")))

    assert (
        material.shape_errors("RunTask", material.migration_run_task(overrides)) == ""
    )
    command = overrides["containerOverrides"][0]["command"]
    assert command == [
        "python",
        "manage.py",
        "enforce_retention",
        "--inactive-days",
        "1095",
    ]
    assert get_commands()["enforce_retention"] == "customers"


def test_service_template_follows_the_rules():
    assert service_problems(load_template(AWS / "service.yaml")) == []


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (
            lambda t: t["Resources"]["Database"]["Properties"].update(MultiAZ=False),
            "MultiAZ",
        ),
        (
            lambda t: t["Resources"]["Service"]["Properties"][
                "DeploymentConfiguration"
            ].pop("DeploymentCircuitBreaker"),
            "circuit breaker",
        ),
        (lambda t: t["Resources"].pop("RequestScaling"), "ALBRequestCountPerTarget"),
        (
            lambda t: t["Resources"]["HttpRedirectListener"]["Properties"].update(
                DefaultActions=[{"Type": "forward"}]
            ),
            "not redirected",
        ),
        (
            lambda t: t["Resources"]["DatabaseFromService"]["Properties"].update(
                SourceSecurityGroupId={"Ref": "LoadBalancerSecurityGroup"}
            ),
            "worker only",
        ),
        (lambda t: t["Resources"].pop("WorkerService"), "no webhook worker"),
        (
            lambda t: t["Parameters"]["RetentionSchedule"].update(
                Default="cron(0 7 ? * MON *)"
            ),
            "not daily",
        ),
        (
            lambda t: t["Resources"]["RetentionScheduleRule"]["Properties"]["Targets"][
                0
            ]["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"].update(
                AssignPublicIp="ENABLED"
            ),
            "public IP",
        ),
        (
            lambda t: t["Resources"]["RetentionScheduleRule"]["Properties"]["Targets"][
                0
            ].update(Input='{"containerOverrides": [{"name": "web"}]}'),
            "overrides container",
        ),
        (lambda t: t["Resources"].pop("RetentionScheduleRule"), "0 EventBridge"),
        (
            lambda t: t["Resources"]["Cache"]["Properties"].pop(
                "TransitEncryptionEnabled"
            ),
            "TransitEncryptionEnabled",
        ),
        (
            lambda t: t["Resources"]["Cache"]["Properties"].update(
                AtRestEncryptionEnabled=False
            ),
            "AtRestEncryptionEnabled",
        ),
        (
            lambda t: t["Resources"]["CacheSubnetGroup"]["Properties"].update(
                SubnetIds={
                    "Fn::Split": [
                        ",",
                        {
                            "Fn::ImportValue": {
                                "Fn::Sub": "${NetworkStackName}-PublicSubnetIds"
                            }
                        },
                    ]
                }
            ),
            "private subnets",
        ),
        (
            lambda t: t["Resources"]["CacheFromService"]["Properties"].update(
                SourceSecurityGroupId={"Ref": "LoadBalancerSecurityGroup"}
            ),
            "tasks only",
        ),
        (
            lambda t: t["Resources"]["CacheSecurityGroup"]["Properties"].update(
                SecurityGroupIngress=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 6379,
                        "ToPort": 6379,
                        "CidrIp": "10.0.0.0/8",
                    }
                ]
            ),
            "tasks only",
        ),
        (lambda t: t["Resources"].pop("Cache"), "no Redis cache"),
        (
            lambda t: t["Resources"]["DatabaseReplica"]["Properties"].update(
                PubliclyAccessible=True
            ),
            "DatabaseReplica: PubliclyAccessible",
        ),
    ],
)
def test_template_rules_catch_a_broken_template(break_it, problem):
    template = copy.deepcopy(load_template(AWS / "service.yaml"))
    break_it(template)
    problems = service_problems(template)
    assert any(problem in p for p in problems), problems


def test_account_template_ecr_and_oidc_role():
    template = load_template(AWS / "account.yaml")
    (repository,) = resources_of_type(template, "AWS::ECR::Repository").values()
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    assert json.loads(
        repository["LifecyclePolicy"]["LifecyclePolicyText"]["Fn::Sub"].replace(
            "${ImagesToKeep}", "100"
        )
    )["rules"]
    role = template["Resources"]["DeployRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    subjects = [
        s["Fn::Sub"] for s in conditions["token.actions.githubusercontent.com:sub"]
    ]
    prefix = "repo:${GitHubOwner}/${GitHubRepository}:"
    assert sorted(subjects) == sorted(
        prefix + claim
        for claim in (
            "ref:refs/heads/main",
            "environment:staging",
            "environment:production",
        )
    )
    # Wildcard resources only for the two actions that have no resource level.
    for policy in role["Policies"]:
        for rule in policy["PolicyDocument"]["Statement"]:
            if rule["Resource"] == "*":
                assert rule["Action"] in (
                    "ecr:GetAuthorizationToken",
                    "ecs:RegisterTaskDefinition",
                ), rule


# --- the stack outputs the pipeline reads ------------------------------------------


def names_the_pipeline_reads() -> set[str]:
    """Outputs the workflow reads, and the task definitions' placeholders."""
    names = set()
    workflow = material.workflow("deploy-environment.yml")
    for words in material.run_commands(workflow):
        if "describe-stacks" in words and "for" in words:
            start = words.index("for") + 2  # for key in A B C; do
            for word in words[start + 1 :]:
                names.add(word.rstrip(";"))
                if word.endswith(";"):
                    break
    render = material.render_module()
    for environment in material.ENVIRONMENTS:
        for template in material.TASK_TEMPLATES.values():
            text = (ECS / f"{template}.{environment}.json").read_text()
            names.update(render.PLACEHOLDER.findall(text))
    names.discard("Region")  # the workflow passes it with --set
    return names


def output_problems(template) -> list[str]:
    missing = names_the_pipeline_reads() - set(template.get("Outputs", {}))
    return [f"the stack has no output {name}" for name in sorted(missing)]


def test_the_pipeline_reads_names_the_stack_outputs():
    names = names_the_pipeline_reads()
    assert {
        "ClusterName",
        "ServiceName",
        "ServiceUrl",
        "DatabaseUrlSecretArn",
        "WorkerServiceName",
    } <= names
    assert output_problems(load_template(AWS / "service.yaml")) == []


def test_output_check_catches_a_missing_output():
    template = copy.deepcopy(load_template(AWS / "service.yaml"))
    template["Outputs"].pop("ServiceName")
    template["Outputs"].pop("SecretKeySecretArn")
    assert output_problems(template) == [
        "the stack has no output SecretKeySecretArn",
        "the stack has no output ServiceName",
    ]


def in_environment(items: list, environment: str) -> list:
    """A list's items in one environment: ``Fn::If IsProduction`` resolved."""
    kept = []
    for item in items:
        if isinstance(item, dict) and "Fn::If" in item:
            condition, yes, no = item["Fn::If"]
            assert condition == "IsProduction", item
            item = yes if environment == "production" else no
        if item != {"Ref": "AWS::NoValue"}:
            kept.append(item)
    return kept


def test_stack_task_definition_matches_the_pipeline_templates():
    """The first revision (CloudFormation) and the next ones agree."""
    template = load_template(AWS / "service.yaml")
    tasks = resources_of_type(template, "AWS::ECS::TaskDefinition")
    stack_task = tasks["TaskDefinition"]
    (stack_container,) = stack_task["ContainerDefinitions"]
    service = resources_of_type(template, "AWS::ECS::Service")["Service"]
    (balanced,) = service["LoadBalancers"]
    worker_task = tasks["WorkerTaskDefinition"]
    (worker_container,) = worker_task["ContainerDefinitions"]
    for environment in material.ENVIRONMENTS:
        task = material.rendered_task_definition(environment, "worker")
        (container,) = task["containerDefinitions"]
        assert worker_container["Name"] == container["name"] == "worker"
        assert worker_container["Command"] == container["command"]
        assert worker_container["User"] == container["user"]
        assert {
            s["Name"] for s in in_environment(worker_container["Secrets"], environment)
        } == {s["name"] for s in container["secrets"]}
        assert {e["Name"] for e in worker_container["Environment"]} <= {
            e["name"] for e in container["environment"]
        }
        assert worker_task["Family"] == {"Fn::Sub": "store-${Environment}-worker"}
        assert task["family"] == f"store-{environment}-worker"
    for environment in material.ENVIRONMENTS:
        task = material.rendered_task_definition(environment, "store")
        (container,) = task["containerDefinitions"]
        assert stack_container["Name"] == container["name"] == balanced["ContainerName"]
        port = container["portMappings"][0]["containerPort"]
        assert stack_container["PortMappings"][0]["ContainerPort"] == port
        assert balanced["ContainerPort"] == port
        assert stack_container["User"] == container["user"]
        assert {
            s["Name"] for s in in_environment(stack_container["Secrets"], environment)
        } == {s["name"] for s in container["secrets"]}
        assert {e["Name"] for e in stack_container["Environment"]} <= {
            e["name"] for e in container["environment"]
        }
        assert stack_task["Family"] == {"Fn::Sub": "store-${Environment}"}
        assert task["family"] == f"store-{environment}"


# --- trivy config -----------------------------------------------------------------


def trivy_config(target, *extra):
    # A cache of its own per run: trivy locks its cache directory.
    with tempfile.TemporaryDirectory() as cache:
        return _trivy_config(target, cache, *extra)


def _trivy_config(target, cache, *extra):
    return run(
        [
            BIN / "trivy",
            "config",
            "--quiet",
            "--skip-check-update",  # the checks embedded in the binary: offline
            "--skip-version-check",
            "--cache-dir",
            cache,
            "--severity",
            "HIGH,CRITICAL",
            "--exit-code",
            "1",
            "--format",
            "json",
            *extra,
            target,
        ]
    )


def trivy_findings(result) -> list[str]:
    report = json.loads(result.stdout or "{}")
    return [
        f"{r['Target']}: {m['ID']} {m['Severity']} {m['Title']}"
        for r in report.get("Results", [])
        for m in r.get("Misconfigurations", [])
        if m.get("Status") == "FAIL"
    ]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_trivy_config_finds_nothing_high_in_deploy(values_file):
    result = trivy_config(
        REPO / "deploy",
        "--helm-set",
        f"image.tag={IMAGE_TAG}",
        "--helm-values",
        CHART / values_file,
    )
    assert result.returncode == 0, trivy_findings(result) or output(result)
    report = json.loads(result.stdout)
    types = {r["Type"] for r in report.get("Results", [])}
    assert {"cloudformation", "helm"} <= types, types  # really scanned


def test_trivy_config_finds_nothing_high_in_the_dockerfile(tmp_path):
    shutil.copy(REPO / "Dockerfile", tmp_path / "Dockerfile")
    result = trivy_config(tmp_path)
    assert result.returncode == 0, trivy_findings(result) or output(result)
    report = json.loads(result.stdout)
    assert [r["Type"] for r in report["Results"]] == ["dockerfile"]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_trivy_config_finds_nothing_high_in_rendered_manifests(tmp_path, values_file):
    # The rendered files include the migration Job, a hook trivy's own Helm
    # scan leaves out.
    for name, manifest in render(values_file).items():
        (tmp_path / name.replace("/", "_")).write_text(manifest)
    result = trivy_config(tmp_path)
    assert result.returncode == 0, trivy_findings(result) or output(result)
    report = json.loads(result.stdout)
    targets = {r["Target"] for r in report.get("Results", [])}
    assert any("migrate-job" in target for target in targets), targets


def unjustified_waivers(text: str) -> list[str]:
    """``trivy:ignore`` lines without a ``# Waiver:`` comment just above them."""
    lines = text.splitlines()
    unjustified = []
    for number, line in enumerate(lines):
        if "trivy:ignore:" in line:
            above = lines[max(0, number - 8) : number + 1]
            if not any(a.strip().startswith("# Waiver:") for a in above):
                unjustified.append(f"line {number + 1}: {line.strip()}")
    return unjustified


def test_every_trivy_waiver_is_justified_next_to_it():
    waivers = 0
    for path in [REPO / "Dockerfile", *sorted((REPO / "deploy").rglob("*"))]:
        if path.is_file() and path.suffix in ("", ".yaml", ".yml", ".tpl"):
            text = path.read_text()
            waivers += text.count("trivy:ignore:")
            assert unjustified_waivers(text) == [], path
    assert waivers == 5  # the five of deploy/README.md; update both together


def test_waiver_check_catches_an_unjustified_waiver():
    text = "Resources:\n  # trivy:ignore:AVD-AWS-0053\n  LoadBalancer: {}\n"
    assert unjustified_waivers(text) == ["line 2: # trivy:ignore:AVD-AWS-0053"]


BROKEN_FOR_TRIVY = {
    "Dockerfile": (
        "FROM python:3.11.14-slim-trixie\nUSER root\n"
        'CMD ["python", "-m", "http.server"]\n',
        "DS-0002",  # runs as root
    ),
    "bucket.yaml": (
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Db:\n"
        "    Type: AWS::RDS::DBInstance\n    Properties:\n"
        "      Engine: postgres\n      DBInstanceClass: db.t4g.micro\n"
        "      AllocatedStorage: 20\n      StorageEncrypted: false\n"
        "      PubliclyAccessible: true\n",
        "AWS-0080",  # storage not encrypted
    ),
    "pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: store\n"
        "spec:\n  containers:\n    - name: c\n      image: busybox:1.37\n"
        "      securityContext:\n        privileged: true\n",
        "KSV-0017",  # privileged
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FOR_TRIVY))
def test_trivy_config_catches_a_broken_sample(tmp_path, name):
    text, finding = BROKEN_FOR_TRIVY[name]
    (tmp_path / name).write_text(text)
    result = trivy_config(tmp_path)
    assert result.returncode == 1, output(result)
    assert any(finding in f for f in trivy_findings(result)), trivy_findings(result)


# --- Helm: lint, render -----------------------------------------------------------


def values(values_file: str) -> dict:
    import helm_python as helm

    merged = helm.values_from_yaml((CHART / values_file).read_text())
    merged.setdefault("image", {})["tag"] = IMAGE_TAG
    return merged


def render(values_file: str, chart=CHART) -> dict[str, str]:
    import helm_python as helm

    manifests = helm.Chart.load(chart).render(
        values(values_file), name="store", namespace="store", is_install=True
    )
    return {
        name: text
        for name, text in manifests.items()
        if name.endswith(".yaml") and text.strip()
    }


def helm_lint_findings(chart, values_file: str) -> list[str]:
    import helm_python as helm

    report = helm.lint(
        chart,
        values(values_file),
        strict=True,
        namespace="store",
        kube_version=f"v{KUBERNETES_VERSIONS[0]}",
    )
    # Strict: warnings count as findings; "info" (e.g. no icon) does not.
    return report.get("errors", []) + [
        f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2
    ]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_chart_lints_strictly(values_file):
    assert helm_lint_findings(CHART, values_file) == []


def test_helm_lint_catches_a_broken_chart(tmp_path):
    chart = tmp_path / "store"
    shutil.copytree(CHART, chart)
    service = chart / "templates" / "service.yaml"
    service.write_text(service.read_text().replace("  ports:", "  ports:\n  {{ .Oops"))
    assert helm_lint_findings(chart, "values.yaml")


def test_chart_refuses_to_render_without_an_image_tag():
    import helm_python as helm

    with pytest.raises(helm.HelmError, match=r"image\.tag is required"):
        helm.Chart.load(CHART).render({}, name="store", namespace="store")


def documents(values_file: str) -> list[dict]:
    return [
        document
        for manifest in render(values_file).values()
        for document in yaml.safe_load_all(manifest)
        if document
    ]


def test_chart_renders_every_kind_for_each_values_file():
    for values_file in VALUES_FILES:
        kinds = sorted(d["kind"] for d in documents(values_file))
        assert kinds == [
            "ConfigMap",
            "CronJob",
            "Deployment",
            "Deployment",  # the webhook worker
            "HorizontalPodAutoscaler",
            "Ingress",
            "Job",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount",
        ], values_file


# --- kubernetes-validate --strict -----------------------------------------------


def kubernetes_validate(version, *files):
    return run(
        [BIN / "kubernetes-validate", "--strict", "--quiet", "-k", version, *files]
    )


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_rendered_manifests_pass_kubernetes_validate(tmp_path, values_file, version):
    files = []
    for name, manifest in render(values_file).items():
        path = tmp_path / name.replace("/", "_")
        path.write_text(manifest)
        files.append(path)
    result = kubernetes_validate(version, *files)
    assert result.returncode == 0, output(result)


def test_kubernetes_validate_catches_a_broken_manifest(tmp_path):
    manifest = render("values.yaml")["store/templates/deployment.yaml"]
    broken = tmp_path / "deployment.yaml"
    broken.write_text(manifest.replace("revisionHistoryLimit:", "revisionHistory:"))
    result = kubernetes_validate(KUBERNETES_VERSIONS[0], broken)
    assert result.returncode != 0
    assert "revisionHistory" in result.stdout + result.stderr


# --- the chart's own rules --------------------------------------------------------


def chart_problems(docs: list[dict]) -> list[str]:
    problems = []
    by_kind = {}
    for document in docs:
        by_kind.setdefault(document["kind"], []).append(document)
    deployments = {d["metadata"]["name"] for d in by_kind.get("Deployment", [])}
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = hpa["spec"]["scaleTargetRef"]
        if target.get("kind") != "Deployment" or target.get("name") not in deployments:
            problems.append(f"HPA {hpa['metadata']['name']} targets {target}")
    if not by_kind.get("HorizontalPodAutoscaler"):
        problems.append("no HorizontalPodAutoscaler")
    scaled = {
        hpa["spec"]["scaleTargetRef"].get("name")
        for hpa in by_kind.get("HorizontalPodAutoscaler", [])
    }
    for deployment in by_kind.get("Deployment", []):
        if (
            deployment["metadata"]["name"] in scaled
            and "replicas" in deployment["spec"]
        ):
            problems.append("the Deployment sets replicas, fighting the HPA")
    for kind in ("Deployment", "Job", "CronJob"):
        for workload in by_kind.get(kind, []):
            spec = workload["spec"]
            pod = spec.get("jobTemplate", {}).get("spec", spec)["template"]["spec"]
            for container in pod["containers"]:
                name = f"{kind} {container['name']}"
                if "cpu" not in container.get("resources", {}).get("requests", {}):
                    problems.append(f"{name}: no CPU request")
                context = container.get("securityContext", {})
                if context.get("readOnlyRootFilesystem") is not True:
                    problems.append(f"{name}: root file system writable")
                env = {e["name"] for e in container.get("env", [])}
                for required in material.REQUIRED_SECRETS - env:
                    problems.append(f"{name}: no {required}")
                if not (
                    context.get("runAsNonRoot")
                    or pod.get("securityContext", {}).get("runAsNonRoot")
                ):
                    problems.append(f"{name}: may run as root")
    workers = [
        d for d in by_kind.get("Deployment", []) if d["metadata"]["name"] not in scaled
    ]
    for worker in workers:
        (container,) = worker["spec"]["template"]["spec"]["containers"]
        if container.get("command") != ["python", "manage.py", "deliver_webhooks"]:
            problems.append(f"the unscaled Deployment runs {container.get('command')}")
        if "exec" not in container.get("livenessProbe", {}):
            problems.append("the webhook worker has no liveness probe")
        labels = worker["spec"]["template"]["metadata"]["labels"]
        services = by_kind.get("Service", [])
        if any(labels.items() >= svc["spec"]["selector"].items() for svc in services):
            problems.append("the Service sends traffic to the webhook worker")
    if len(workers) != 1:
        problems.append(f"{len(workers)} webhook worker Deployments, not one")
    for deployment in by_kind.get("Deployment", []):
        if deployment in workers:
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        if (
            container.get("livenessProbe", {}).get("httpGet", {}).get("path")
            != "/health"
        ):
            problems.append("liveness probe is not /health")
        readiness = container.get("readinessProbe", {}).get("httpGet", {})
        if readiness.get("path") != "/health/db":
            problems.append("readiness probe is not /health/db")
    for job in by_kind.get("Job", []):
        hooks = job["metadata"].get("annotations", {}).get("helm.sh/hook", "")
        if set(hooks.split(",")) != {"pre-install", "pre-upgrade"}:
            problems.append(f"migration Job hooks: {hooks!r}")
        command = job["spec"]["template"]["spec"]["containers"][0].get("command")
        if command != ["python", "manage.py", "migrate", "--noinput"]:
            problems.append(f"the Job runs {command}")
    problems += retention_cronjob_problems(by_kind.get("CronJob", []))
    return problems


def retention_cronjob_problems(cronjobs: list[dict]) -> list[str]:
    """The retention rule runs daily, alone, with the app's settings and secrets."""
    if len(cronjobs) != 1:
        return [f"{len(cronjobs)} retention CronJobs, not one"]
    (cronjob,) = cronjobs
    problems = []
    minute, hour, *every_day = cronjob["spec"]["schedule"].split()
    if every_day != ["*", "*", "*"] or not (minute.isdigit() and hour.isdigit()):
        problems.append(f"retention is not daily: {cronjob['spec']['schedule']!r}")
    if cronjob["spec"].get("concurrencyPolicy") != "Forbid":
        problems.append("two retention runs may overlap")
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    command = container.get("command", [])
    if command[:3] != ["python", "manage.py", "enforce_retention"]:
        problems.append(f"the retention CronJob runs {command}")
    elif "--dry-run" in command:
        problems.append("the retention CronJob only counts (--dry-run)")
    secrets = {
        e["name"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    if not secrets >= material.REQUIRED_SECRETS:
        problems.append(
            f"retention lacks secrets {material.REQUIRED_SECRETS - secrets}"
        )
    if not container.get("envFrom"):
        problems.append("retention runs without the app's settings")
    return problems


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_chart_follows_the_rules(values_file):
    assert chart_problems(documents(values_file)) == []


def _first(docs, kind):
    return next(d for d in docs if d["kind"] == kind)


def _worker(docs):
    return next(
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-worker")
    )


def _retention_container(docs):
    cronjob = _first(docs, "CronJob")
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def _app_container(docs):
    return _first(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (
            lambda docs: _first(docs, "HorizontalPodAutoscaler")["spec"][
                "scaleTargetRef"
            ].update(name="other"),
            "targets",
        ),
        (
            lambda docs: _app_container(docs)["resources"]["requests"].pop("cpu"),
            "no CPU request",
        ),
        (
            lambda docs: _first(docs, "Deployment")["spec"].update(replicas=3),
            "replicas",
        ),
        (
            lambda docs: _app_container(docs)["readinessProbe"]["httpGet"].update(
                path="/health"
            ),
            "readiness",
        ),
        (
            lambda docs: _first(docs, "Job")["metadata"]["annotations"].update(
                {"helm.sh/hook": "post-install"}
            ),
            "hooks",
        ),
        (
            lambda docs: _worker(docs)["spec"]["template"]["metadata"].update(
                labels=_first(docs, "Service")["spec"]["selector"]
            ),
            "traffic to the webhook worker",
        ),
        (
            lambda docs: _worker(docs)["spec"]["template"]["spec"]["containers"][0].pop(
                "livenessProbe"
            ),
            "no liveness probe",
        ),
        (
            lambda docs: _first(docs, "CronJob")["spec"].update(schedule="0 7 * * 1"),
            "not daily",
        ),
        (
            lambda docs: _first(docs, "CronJob")["spec"].pop("concurrencyPolicy"),
            "overlap",
        ),
        (
            lambda docs: _retention_container(docs)["command"].append("--dry-run"),
            "only counts",
        ),
        (
            lambda docs: _retention_container(docs)["env"].pop(2),
            "lacks secrets",
        ),
        (
            lambda docs: _app_container(docs).update(
                env=[e for e in _app_container(docs)["env"] if e["name"] != "REDIS_URL"]
            ),
            "no REDIS_URL",
        ),
    ],
)
def test_chart_rules_catch_a_broken_rendering(break_it, problem):
    docs = copy.deepcopy(documents("values-production.yaml"))
    break_it(docs)
    problems = chart_problems(docs)
    assert any(problem in p for p in problems), problems


def test_shlex_reads_the_workflow_loop():
    # names_the_pipeline_reads() relies on the loop's shape in the workflow.
    words = shlex.split("for key in A B C; do echo; done")
    assert words[:6] == ["for", "key", "in", "A", "B", "C;"]


def redis_env(overrides: dict) -> list[dict]:
    import helm_python as helm

    merged = values("values.yaml")
    merged["redis"] = {**merged["redis"], **overrides}
    manifests = helm.Chart.load(CHART).render(
        merged, name="store", namespace="store", is_install=True
    )
    found = []
    for name in ("deployment.yaml", "migrate-job.yaml"):
        (doc,) = yaml.safe_load_all(manifests[f"store/templates/{name}"])
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        found += [e for e in container["env"] if e["name"] == "REDIS_URL"]
    return found


def test_chart_takes_redis_url_from_an_existing_secret_or_as_a_value():
    from_secret = {"secretKeyRef": {"name": "store-secrets", "key": "REDIS_URL"}}
    assert redis_env({}) == [{"name": "REDIS_URL", "valueFrom": from_secret}] * 2

    other = redis_env({"existingSecret": {"name": "cache", "key": "url"}})
    assert (
        other
        == [
            {
                "name": "REDIS_URL",
                "valueFrom": {"secretKeyRef": {"name": "cache", "key": "url"}},
            }
        ]
        * 2
    )

    url = "redis://store-redis.store.svc:6379/0"
    assert redis_env({"url": url}) == [{"name": "REDIS_URL", "value": url}] * 2
