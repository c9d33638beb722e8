#!/usr/bin/env bash
# Point the ECS service at a task definition and wait until the new tasks are
# healthy. Fails when the deployment circuit breaker rolls the service back to
# the previous task definition, or when nothing settles in time.
# Usage: deploy-service.sh CLUSTER SERVICE TASK_DEFINITION_ARN [TIMEOUT_SECONDS]
#   POLL_SECONDS (default 15): the wait between two looks at the rollout.
set -euo pipefail

cluster=$1
service=$2
task_definition=$3
timeout=${4:-1200}

deployment_id=$(aws ecs update-service \
  --cluster "$cluster" --service "$service" \
  --task-definition "$task_definition" \
  --deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100" \
  --query "service.deployments[?status=='PRIMARY'] | [0].id" --output text)
echo "Deployment $deployment_id of $task_definition"

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
  state=$(aws ecs describe-services --cluster "$cluster" --services "$service" \
    --query "services[0].deployments[?id=='$deployment_id'] | [0].rolloutState" \
    --output text)
  case $state in
    COMPLETED)
      echo "Deployment completed."
      exit 0
      ;;
    FAILED | None)
      echo "::error::deployment $deployment_id failed (state: $state); the circuit breaker rolled the service back"
      exit 1
      ;;
  esac
  sleep "${POLL_SECONDS:-15}"
done
echo "::error::deployment $deployment_id not completed after ${timeout}s"
exit 1
