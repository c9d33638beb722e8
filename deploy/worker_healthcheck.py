"""The webhook worker's health check: exit 0 while its heartbeat is fresh.

The worker (``manage.py deliver_webhooks``) serves no HTTP; it touches
``WEBHOOK_HEARTBEAT_FILE`` on every turn of its loop, which takes at most the
send timeout (10 s) plus the poll interval. Used by the worker's ECS task
definitions and the Helm chart's worker Deployment.
"""

import os
import sys
import time

MAX_AGE_SECONDS = 60


def main() -> int:
    path = os.environ.get("WEBHOOK_HEARTBEAT_FILE", "")
    if not path:
        print("unhealthy: WEBHOOK_HEARTBEAT_FILE is not set", file=sys.stderr)
        return 1
    try:
        age = time.time() - os.stat(path).st_mtime
    except OSError as exc:
        print(f"unhealthy: no heartbeat ({exc})", file=sys.stderr)
        return 1
    if age > MAX_AGE_SECONDS:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
