"""Render an ECS task definition template for one deploy.

The templates beside this file name what differs per account and environment
as ``${Name}`` placeholders, filled from the CloudFormation stack's outputs
(``aws cloudformation describe-stacks --query 'Stacks[0].Outputs'``) and from
``--set Name=value``; the image is set on the container named by
``--container``. Any placeholder left unfilled, or a missing container, is an
error: a half-rendered task definition must never reach ECS.

    python deploy/ecs/render_task_definition.py \\
        deploy/ecs/task-definition.staging.json --outputs outputs.json \\
        --set Region=eu-west-1 --container store --image "$IMAGE" > task.json
"""

import argparse
import json
import re
import string
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")


class RenderError(Exception):
    pass


def load_outputs(path: Path) -> dict[str, str]:
    """Stack outputs as ``{OutputKey: OutputValue}``."""
    outputs = json.loads(path.read_text())
    return {item["OutputKey"]: item["OutputValue"] for item in outputs or []}


def render(
    template: str, values: dict[str, str], *, container: str, image: str
) -> dict:
    """Fill every placeholder and set the image; raise ``RenderError`` if unable."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise RenderError(f"no value for placeholder(s): {', '.join(missing)}")
    # Values are inserted into JSON text: encode them as JSON string contents.
    escaped = {key: json.dumps(value)[1:-1] for key, value in values.items()}
    task_definition = json.loads(string.Template(template).substitute(escaped))
    containers = [
        definition
        for definition in task_definition.get("containerDefinitions", [])
        if definition.get("name") == container
    ]
    if len(containers) != 1:
        raise RenderError(f"expected one container named {container!r}")
    containers[0]["image"] = image
    return task_definition


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("--outputs", type=Path, help="stack outputs (JSON)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--container", required=True)
    parser.add_argument("--image", required=True)
    args = parser.parse_args(argv)

    values = load_outputs(args.outputs) if args.outputs else {}
    for item in args.set:
        name, _, value = item.partition("=")
        values[name] = value
    try:
        task_definition = render(
            args.template.read_text(),
            values,
            container=args.container,
            image=args.image,
        )
    except RenderError as exc:
        print(f"{args.template}: {exc}", file=sys.stderr)
        return 1
    json.dump(task_definition, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
