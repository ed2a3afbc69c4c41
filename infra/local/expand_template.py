"""Prints template.yaml as CloudFormation will see it: the SAM transform
applied by the pinned aws-sam-translator, offline.

Functions' local `CodeUri` paths are replaced by S3 locations, as `sam
package` does before a deployment. The translator normally asks IAM for the ARNs of AWS managed policies named
in a function's `Policies`; here it gets a fixed map of the few the project
may name, so the expansion needs no network and no credentials. A name
outside the map is an error rather than a guess.

Usage: .venv/bin/python infra/local/expand_template.py [template.yaml]
"""

import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


class FixedManagedPolicies(dict):
    """The managed policy map, refusing names it does not hold."""

    def __missing__(self, name):
        raise KeyError(f"managed policy {name!r} is not in expand_template.py's map")


class OfflinePolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader (which calls IAM)."""

    def load(self):
        return FixedManagedPolicies(MANAGED_POLICIES)


def packaged(template):
    """The template as `sam package` leaves it: code in S3, not on disk."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.setdefault("Properties", {})
        code = properties.get("CodeUri")
        if isinstance(code, str) and not code.startswith("s3://"):
            properties["CodeUri"] = f"s3://opsflow-artifacts/{logical_id}.zip"
    return template


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(path, encoding="utf-8") as handle:
        template = packaged(yaml_parse(handle.read()))
    parameters = {
        "JwtSigningKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:opsflow-jwt",
    }
    expanded = transform(template, parameters, OfflinePolicyLoader())
    json.dump(expanded, sys.stdout, indent=1, sort_keys=True, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
