"""Where moto (5.2.5, pinned) falls short of AWS, patched for the deploy rehearsal.

Each patch names the moto behaviour it works around and does what AWS does,
no more. ``apply()`` installs them all in this process, where the rehearsal
runs moto's server (``ThreadedMotoServer``); nothing here changes what the
store's scripts, templates or workflow send.

What moto cannot do at all (run a container, roll a deployment out) is not
patched: the rehearsal decides that state and ``stand_in`` (``StandIn``
below) sets it in moto's backend, so that the assertions stay on what the
scripts do with each answer.
"""

import inspect
import ipaddress
import json
import threading
import uuid
from typing import Any

import yaml
from moto.cloudformation import models as cloudformation_models
from moto.cloudformation import parsing
from moto.cloudformation import responses as cloudformation_responses
from moto.cloudformation import utils as cloudformation_utils
from moto.core.common_models import CloudFormationModel
from moto.ec2.models import vpcs as ec2_vpcs
from moto.ecs import models as ecs_models
from moto.elasticache.models import elasticache_backends
from moto.rds import models as rds_models
from moto.secretsmanager.models import secretsmanager_backends

_applied = False


# --- CloudFormation intrinsic functions ---------------------------------------

_clean_json = parsing.clean_json


def _cidr(block: str, count: int, bits: int) -> list[str]:
    network = ipaddress.ip_network(block)
    prefix = network.max_prefixlen - bits
    subnets = network.subnets(new_prefix=prefix)
    return [str(next(subnets)) for _ in range(count)]


def clean_json(resource_json: Any, resources_map) -> Any:
    if isinstance(resource_json, dict):
        # moto has no Fn::Cidr (its clean_json passes it through as a dict).
        if "Fn::Cidr" in resource_json:
            block, count, bits = clean_json(resource_json["Fn::Cidr"], resources_map)
            return _cidr(block, int(count), int(bits))
        # moto answers Fn::GetAZs "" with us-east-1's zones, not the stack's
        # region's (AWS: the zones of the region the stack is in).
        if "Fn::GetAZs" in resource_json and not resource_json["Fn::GetAZs"]:
            region = resources_map._region_name
            return [f"{region}{zone}" for zone in "ab"]
        # moto's YAML reader splits "!GetAtt Db.Endpoint.Address" at every
        # dot; AWS splits at the first (the attribute is "Endpoint.Address").
        get_att = resource_json.get("Fn::GetAtt")
        if isinstance(get_att, list) and len(get_att) > 2:
            name, *attribute = get_att
            return _clean_json(
                {"Fn::GetAtt": [name, ".".join(attribute)]}, resources_map
            )
    return _clean_json(resource_json, resources_map)


# moto's YAML reader turns a short-form function whose argument is a mapping
# ("!ImportValue" over "Fn::Sub: ...") into a list of YAML nodes; AWS reads
# the mapping.
_yaml_tag_constructor = cloudformation_utils.yaml_tag_constructor


def yaml_tag_constructor(loader, tag, node):
    if isinstance(node, yaml.MappingNode):
        key = "Ref" if tag == "!Ref" else f"Fn::{tag[1:]}"
        return {key: loader.construct_mapping(node, deep=True)}
    return _yaml_tag_constructor(loader, tag, node)


# --- resources moto's CloudFormation does not know ------------------------------


class SecretsManagerSecret(CloudFormationModel):
    """AWS::SecretsManager::Secret: moto has the API, not the resource."""

    def __init__(self, arn: str):
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn  # Ref is the ARN, as in AWS

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json["Properties"]
        backend = secretsmanager_backends[account_id][region_name]
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if value is None and generate is not None:
            value = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters="",
                exclude_numbers=False,
                exclude_punctuation=bool(generate.get("ExcludePunctuation")),
                exclude_uppercase=False,
                exclude_lowercase=False,
                include_space=False,
                require_each_included_type=False,
            )
            value = json.loads(value)["RandomPassword"]
            if "GenerateStringKey" in generate:
                template = json.loads(generate.get("SecretStringTemplate", "{}"))
                template[generate["GenerateStringKey"]] = value
                value = json.dumps(template)
        secret = backend.create_secret(
            name=properties.get("Name", resource_name),
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags", []),
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(secret)["ARN"])


class CacheSubnetGroup(CloudFormationModel):
    """AWS::ElastiCache::SubnetGroup: moto has the API, not the resource."""

    def __init__(self, name: str):
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::SubnetGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "CacheSubnetGroupName"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json["Properties"]
        name = properties.get("CacheSubnetGroupName", resource_name).lower()
        elasticache_backends[account_id][region_name].create_cache_subnet_group(
            cache_subnet_group_name=name,
            cache_subnet_group_description=properties["Description"],
            subnet_ids=properties["SubnetIds"],
            tags=[],
        )
        return cls(name)


class CacheReplicationGroup(CloudFormationModel):
    """AWS::ElastiCache::ReplicationGroup: moto has the API, not the resource."""

    def __init__(self, group):
        self.group = group

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ElastiCache::ReplicationGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ReplicationGroupId"

    @property
    def physical_resource_id(self) -> str:
        return self.group.replication_group_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        host = f"master.{self.group.replication_group_id}.cache.amazonaws.com"
        return {
            "PrimaryEndPoint.Address": host,
            "PrimaryEndPoint.Port": str(self.port),
        }[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        group = elasticache_backends[account_id][region_name].create_replication_group(
            replication_group_id=p.get("ReplicationGroupId", resource_name).lower(),
            replication_group_description=p["ReplicationGroupDescription"],
            global_replication_group_id=None,
            primary_cluster_id=None,
            automatic_failover_enabled=p.get("AutomaticFailoverEnabled") is True,
            multi_az_enabled=p.get("MultiAZEnabled") is True,
            num_cache_clusters=int(p.get("NumCacheClusters", 1)),
            preferred_cache_cluster_azs=[],
            num_node_groups=1,
            replicas_per_node_group=0,
            node_group_configuration=[],
            cache_node_type=p["CacheNodeType"],
            engine=p.get("Engine", "redis"),
            engine_version=p.get("EngineVersion"),
            cache_parameter_group_name=None,
            cache_subnet_group_name=p.get("CacheSubnetGroupName"),
            cache_security_group_names=[],
            security_group_ids=p.get("SecurityGroupIds", []),
            tags=[],
            snapshot_arns=[],
            snapshot_name=None,
            preferred_maintenance_window=p.get("PreferredMaintenanceWindow"),
            port=int(p.get("Port", 6379)),
            notification_topic_arn=None,
            auto_minor_version_upgrade=p.get("AutoMinorVersionUpgrade") is True,
            snapshot_retention_limit=int(p.get("SnapshotRetentionLimit", 0)),
            snapshot_window=None,
            auth_token=p.get("AuthToken"),
            transit_encryption_enabled=p.get("TransitEncryptionEnabled") is True,
            at_rest_encryption_enabled=p.get("AtRestEncryptionEnabled") is True,
            kms_key_id=None,
            user_group_ids=[],
            log_delivery_configurations=[],
            data_tiering_enabled=False,
            network_type=None,
            ip_discovery=None,
            transit_encryption_mode=None,
            cluster_mode=None,
            serverless_cache_snapshot_name=None,
        )
        model = cls(group)
        model.port = int(p.get("Port", 6379))
        return model


# --- EC2 -----------------------------------------------------------------------


def _vpc_from_cloudformation(original):
    """moto's VPC from CloudFormation ignores EnableDnsHostnames; without it a
    network interface gets no private DNS name, and ECS's run-task in awsvpc
    mode then fails on the missing attribute (a 500)."""

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        vpc = original.__func__(
            cls, resource_name, cloudformation_json, account_id, region_name, **kw
        )
        properties = cloudformation_json["Properties"]
        vpc.enable_dns_hostnames = properties.get("EnableDnsHostnames") is True
        vpc.enable_dns_support = properties.get("EnableDnsSupport", True) is True
        return vpc

    return classmethod(create)


# --- ECS -----------------------------------------------------------------------


def _service_from_cloudformation(original):
    """moto's ECS service from CloudFormation drops its NetworkConfiguration
    and LaunchType (a "TODO" there); AWS keeps both, and describe-services
    answers them, which run-migrations.sh reads."""

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        service = original.__func__(
            cls, resource_name, cloudformation_json, account_id, region_name, **kw
        )
        properties = cloudformation_json["Properties"]
        vpc = properties.get("NetworkConfiguration", {}).get("AwsvpcConfiguration")
        if vpc:
            service.network_configuration = {
                "awsvpcConfiguration": {
                    "subnets": vpc["Subnets"],
                    "securityGroups": vpc["SecurityGroups"],
                    "assignPublicIp": vpc.get("AssignPublicIp", "DISABLED"),
                }
            }
        if properties.get("LaunchType"):
            service.launch_type = properties["LaunchType"]
            for deployment in service.deployments:
                deployment["launchType"] = properties["LaunchType"]
        return service

    return classmethod(create)


def _task_resources(original):
    """moto adds up the containers' own memory, and fails on a Fargate task
    whose memory is set on the task only (as ours is, and as Fargate wants)."""

    def calculate(task_definition):
        containers = task_definition.container_definitions
        if task_definition.memory and not any(
            key in c for c in containers for key in ("memory", "memoryReservation")
        ):
            return {
                "CPU": int(task_definition.cpu or 0),
                "MEMORY": int(task_definition.memory),
                "PORTS": [],
                "PORTS_UDP": [],
            }
        return original(task_definition)

    return staticmethod(calculate)


class StandIn:
    """What the emulator cannot do, decided by the rehearsal, done in moto's backend.

    ``exit_code``: a task started by run-task runs no container in moto, and
    its container always reports 0. Here it stops at once, its container
    exiting with this code (with the stop reason ECS gives).

    ``rollout``: moto's update-service never starts a new deployment. Here a
    new task definition starts one (PRIMARY, IN_PROGRESS; the old one turns
    ACTIVE, as in ECS), which then settles to this state after
    ``rollout_after`` seconds: COMPLETED, or FAILED as when the circuit
    breaker rolls back.
    """

    def __init__(self):
        self.reset()

    def reset(self, *, exit_code: int = 0, rollout: str = "COMPLETED"):
        self.exit_code = exit_code
        self.rollout = rollout
        self.rollout_after = 0.5
        self.tasks = []  # (task, overrides, started_by, network) of each run-task

    def stop_tasks(self, tasks, overrides, started_by, network):
        for task in tasks:
            self.tasks.append((task, overrides, started_by, network))
            for container in task.containers:
                container.exitCode = self.exit_code
                container.last_status = "STOPPED"
            task.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = "Essential container in task exited"

    def start_rollout(self, service, task_definition_arn):
        for deployment in service.deployments:
            deployment["status"] = "ACTIVE"
        deployment = {
            "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
            "status": "PRIMARY",
            "taskDefinition": task_definition_arn,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "launchType": service.launch_type or "FARGATE",
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment in progress.",
        }
        service.deployments.insert(0, deployment)
        outcome = self.rollout

        def settle():
            deployment["rolloutState"] = outcome
            deployment["rolloutStateReason"] = (
                "ECS deployment completed."
                if outcome == "COMPLETED"
                else "ECS deployment circuit breaker: tasks failed to start."
            )

        threading.Timer(self.rollout_after, settle).start()


stand_in = StandIn()


def _run_task(original):
    signature = inspect.signature(original)

    def run_task(self, *args, **kwargs):
        tasks = original(self, *args, **kwargs)
        call = signature.bind(self, *args, **kwargs).arguments
        stand_in.stop_tasks(
            tasks,
            call.get("overrides"),
            call.get("started_by"),
            call.get("networking_configuration"),
        )
        return tasks

    return run_task


def _update_service(original):
    def update_service(self, service_properties):
        new = service_properties.get("task_definition")
        service = original(self, service_properties)
        if new:
            stand_in.start_rollout(service, self.describe_task_definition(new).arn)
        return service

    return update_service


def apply() -> None:
    """Install every patch in this process (once)."""
    global _applied
    if _applied:
        return
    _applied = True
    parsing.clean_json = clean_json
    for module in (cloudformation_models, cloudformation_responses):
        module.yaml_tag_constructor = yaml_tag_constructor
    # The models above are CloudFormationModel subclasses: let moto's
    # (cached) list of them see them.
    for cached in (
        parsing.get_model_list,
        parsing.get_model_map,
        parsing.get_name_type_map,
    ):
        cached.cache_clear()
    # A Ref to a DB parameter group is its name in AWS; moto's has no
    # physical id, so the Ref answered the Python object itself.
    rds_models.DBParameterGroup.physical_resource_id = property(lambda self: self.name)
    vpc = ec2_vpcs.VPC
    vpc.create_from_cloudformation_json = _vpc_from_cloudformation(
        vpc.create_from_cloudformation_json
    )
    service = ecs_models.Service
    service.create_from_cloudformation_json = _service_from_cloudformation(
        service.create_from_cloudformation_json
    )
    backend = ecs_models.EC2ContainerServiceBackend
    backend._calculate_task_resource_requirements = _task_resources(
        backend._calculate_task_resource_requirements
    )
    backend.run_task = _run_task(backend.run_task)
    backend.update_service = _update_service(backend.update_service)
