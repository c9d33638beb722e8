#!/usr/bin/env bash
# Check a deployed service through its load balancer: /health must answer ok
# with the expected version (the image tag), and /health/db must answer ok.
# Usage: smoke-test.sh SERVICE_URL EXPECTED_VERSION
#   SMOKE_RETRIES (default 10), SMOKE_RETRY_DELAY (default 6 seconds).
set -euo pipefail

url=${1%/}
version=$2
fetch() {
  curl --fail --silent --show-error --max-time 10 \
    --retry "${SMOKE_RETRIES:-10}" --retry-delay "${SMOKE_RETRY_DELAY:-6}" \
    --retry-all-errors "$url$1"
}

health=$(fetch /health)
echo "/health: $health"
if ! jq -e --arg version "$version" \
    '.status == "ok" and .version == $version' <<< "$health" > /dev/null; then
  echo "::error::/health does not report status ok and version $version"
  exit 1
fi

health_db=$(fetch /health/db)
echo "/health/db: $health_db"
if ! jq -e '.status == "ok"' <<< "$health_db" > /dev/null; then
  echo "::error::/health/db does not report status ok"
  exit 1
fi
