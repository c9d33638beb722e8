#!/usr/bin/env bash
# Run `manage.py migrate` as a one-off Fargate task of the given task
# definition (the image about to be deployed), in the service's subnets and
# security groups, and fail unless it exits 0.
# Usage: run-migrations.sh CLUSTER SERVICE TASK_DEFINITION_ARN
set -euo pipefail

cluster=$1
service=$2
task_definition=$3
overrides="$(dirname "$0")/migrate-overrides.json"
container=$(jq -r '.containerOverrides[0].name' "$overrides")

network=$(aws ecs describe-services --cluster "$cluster" --services "$service" \
  --query 'services[0].networkConfiguration' --output json)

task_arn=$(aws ecs run-task \
  --cluster "$cluster" \
  --task-definition "$task_definition" \
  --launch-type FARGATE \
  --network-configuration "$network" \
  --overrides "file://$overrides" \
  --started-by "migrate-${GITHUB_RUN_ID:-manual}" \
  --query 'tasks[0].taskArn' --output text)
if [[ $task_arn != arn:* ]]; then
  echo "::error::the migration task did not start (run-task returned '$task_arn')"
  exit 1
fi
echo "Migration task: $task_arn"

# The waiter gives up after 10 minutes; a longer migration fails the deploy.
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task_arn"

read -r exit_code reason < <(aws ecs describe-tasks \
  --cluster "$cluster" --tasks "$task_arn" \
  --query "tasks[0].[containers[?name=='$container'] | [0].exitCode, stoppedReason]" \
  --output text)
if [[ $exit_code != "0" ]]; then
  echo "::error::migrations failed: exit code $exit_code ($reason); see the task's logs"
  exit 1
fi
echo "Migrations applied."
