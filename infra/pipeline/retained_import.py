"""Writes what re-creating a deleted stack over its retained data needs.

    .venv/bin/python infra/pipeline/retained_import.py --env prod \
        --account 210987654321 --region us-east-1 [--out DIR]

Deleting a stack keeps the resources template.yaml marks `DeletionPolicy:
Retain` (the entity table, the audit table, the reports bucket) under their
names, and a new stack of the same environment cannot create them again.
CloudFormation can import them instead: this writes, into DIR (default
.aws-sam/retained), a plain template holding just those resources (exactly
as template.yaml declares them, with the parameters they use) and the
`--resources-to-import` list naming each by its real name, then prints the
commands (docs/operations.md#re-creating-a-stack-over-its-retained-data).
"""

import argparse
import json
import os
import re
import sys

from cfnlint.decode import cfn_yaml

# How CloudFormation identifies an imported resource of each retained type.
IDENTIFIERS = {"AWS::DynamoDB::Table": "TableName", "AWS::S3::Bucket": "BucketName"}


def plain(node):
    """The decoded template as plain dicts, lists and strings."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node if isinstance(node, (bool, int, float)) or node is None else str(node)


def referenced(node) -> set:
    """The names `Ref` and `Fn::Sub` use in `node`."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::Sub" and isinstance(value, str):
                found.update(re.findall(r"\$\{([^}.!]+)\}", value))
            found |= referenced(value)
    elif isinstance(node, list):
        for value in node:
            found |= referenced(value)
    return found


def resolve(value, names: dict) -> str:
    """A name given as text or `!Sub` over the parameters and pseudo parameters."""
    if isinstance(value, str):
        return value
    text = value.get("Fn::Sub")
    if not isinstance(text, str):
        raise SystemExit(f"cannot resolve {value!r}: only text and !Sub are supported")
    return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], text)


def retained(template: dict, env: str, account: str, region: str):
    """The import template and the resources to import."""
    names = {"Environment": env, "AWS::AccountId": account, "AWS::Region": region}
    resources, to_import = {}, []
    for logical_id, resource in template["Resources"].items():
        if resource.get("DeletionPolicy") != "Retain":
            continue
        kind = resource["Type"]
        if kind not in IDENTIFIERS:
            raise SystemExit(f"{logical_id}: no import identifier known for {kind}")
        prop = IDENTIFIERS[kind]
        resources[logical_id] = resource
        to_import.append(
            {
                "ResourceType": kind,
                "LogicalResourceId": logical_id,
                "ResourceIdentifier": {prop: resolve(resource["Properties"][prop], names)},
            }
        )
    used = referenced(resources) - {"AWS::AccountId", "AWS::Region", "AWS::Partition"}
    unknown = used - set(template["Parameters"]) - set(resources)
    if unknown:
        raise SystemExit(f"the retained resources use {sorted(unknown)}: not parameters")
    parameters = {name: template["Parameters"][name] for name in sorted(used) if name in template["Parameters"]}
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Opsflow's retained resources, to import into a new stack before its first deploy.",
        "Parameters": parameters,
        "Resources": resources,
    }
    return body, to_import


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--out", default=".aws-sam/retained")
    args = parser.parse_args()
    template = plain(cfn_yaml.load(args.template))
    body, to_import = retained(template, args.env, args.account, args.region)
    os.makedirs(args.out, exist_ok=True)
    template_path = os.path.join(args.out, "retained-template.json")
    import_path = os.path.join(args.out, "resources-to-import.json")
    with open(template_path, "w", encoding="utf-8") as file:
        json.dump(body, file, indent=2)
    with open(import_path, "w", encoding="utf-8") as file:
        json.dump(to_import, file, indent=2)
    stack = f"opsflow-{args.env}"
    config_env = "default" if args.env == "dev" else args.env
    for item in to_import:
        print(f"{item['LogicalResourceId']}: {next(iter(item['ResourceIdentifier'].values()))}")
    print(
        f"""
aws cloudformation create-change-set --region {args.region} --stack-name {stack} \\
  --change-set-name import-retained --change-set-type IMPORT \\
  --template-body file://{template_path} \\
  --resources-to-import file://{import_path} \\
  --parameters ParameterKey=Environment,ParameterValue={args.env}
aws cloudformation wait change-set-create-complete --region {args.region} --stack-name {stack} --change-set-name import-retained
aws cloudformation execute-change-set --region {args.region} --stack-name {stack} --change-set-name import-retained
aws cloudformation wait stack-import-complete --region {args.region} --stack-name {stack}
make deploy ENV={config_env}"""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
