"""Checks the deploy pipeline offline: the workflow and the roles it assumes.

    .venv/bin/python infra/pipeline/check_pipeline.py

.github/workflows/deploy.yml: no permission by default; tests, then one
arm64 build (packed as a tarball, so the binaries stay executable), then
staging, then prod, in that order, from main only; only the deploy jobs
may ask GitHub for an OIDC token (`id-token: write`), each in its GitHub
environment, and they get AWS credentials only by assuming a role — no
access key or AWS secret appears anywhere.

infra/pipeline/deploy-roles.yaml (after cfn-lint, which `make lint` runs
first): the deploy role trusts GitHub's OIDC provider only for this
repository's environment of the stack's name and audience sts.amazonaws.com,
passes only the execution role and only to CloudFormation, the stack's
roles pattern cannot match the pipeline's own roles (a deployed template
cannot change them), the execution role writes a role only with the
permissions boundary and may never remove it, and the boundary allows all
the stack's roles do (check_boundary.py). Exits non-zero naming each
problem.
"""

import fnmatch
import re
import sys
from pathlib import Path

import yaml
from check_boundary import boundary_problems

ROOT = Path(__file__).resolve().parents[2]


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, read as {"Fn::X": …}."""


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def workflow_problems(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    flow = yaml.safe_load(text)
    found = []
    if flow.get("permissions") != {}:
        found.append("workflow: the default permissions must be {}")
    jobs = flow.get("jobs", {})
    order = {"build": "test", "deploy-staging": "build", "deploy-prod": "deploy-staging"}
    for job, before in order.items():
        if jobs.get(job, {}).get("needs") != before:
            found.append(f"workflow: {job} must need {before}")
    for name, job in jobs.items():
        wants_token = job.get("permissions", {}).get("id-token") == "write"
        deploys = name.startswith("deploy-")
        if wants_token != deploys:
            found.append(f"workflow: {name} {'lacks' if deploys else 'must not have'} id-token: write")
        if deploys:
            env = name.removeprefix("deploy-")
            if job.get("environment") != env:
                found.append(f"workflow: {name} must run in the GitHub environment {env}")
            steps = job.get("steps", [])
            assume = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
            if len(assume) != 1 or "role-to-assume" not in assume[0].get("with", {}):
                found.append(f"workflow: {name} must get credentials by role-to-assume")
            newest = [s for s in steps if s.get("id") == "newest"]
            guarded = [s for s in steps if s.get("if") == "steps.newest.outputs.deploy == 'true'"]
            if len(newest) != 1 or len(guarded) < 2:
                found.append(f"workflow: {name} must deploy only main's newest commit")
            if not any(f"--config-env {env}" in str(s.get("run", "")) for s in steps):
                found.append(f"workflow: {name} must deploy samconfig.toml's {env}")
            if job.get("if") != "github.ref == 'refs/heads/main'":
                found.append(f"workflow: {name} must deploy main only")
            runs = " ".join(str(s.get("run", "")) for s in steps)
            if "tar -xzf sam-build.tgz" not in runs or "--region" not in runs:
                found.append(f"workflow: {name} must unpack the build (file modes) and name the region")
    build_runs = " ".join(str(s.get("run", "")) for s in jobs.get("build", {}).get("steps", []))
    if "tar -czf sam-build.tgz .aws-sam/build" not in build_runs:
        found.append("workflow: build must pack .aws-sam/build as a tarball (an artifact keeps no file modes)")
    if re.search(r"aws-access-key-id|aws-secret-access-key|secrets\.AWS_", text):
        found.append("workflow: long-lived AWS keys are not to be used")
    return found


def roles_problems(path: Path) -> list:
    template = yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)
    resources = template["Resources"]
    found = boundary_problems(ROOT, template)
    deploy = resources["DeployRole"]["Properties"]
    (trust,) = deploy["AssumeRolePolicyDocument"]["Statement"]
    condition = trust.get("Condition", {}).get("StringEquals", {})
    if trust.get("Action") != "sts:AssumeRoleWithWebIdentity":
        found.append("roles: the deploy role is assumed with a web identity only")
    if condition.get("token.actions.githubusercontent.com:aud") != "sts.amazonaws.com":
        found.append("roles: the deploy role must check the token's audience")
    subject = condition.get("token.actions.githubusercontent.com:sub", {})
    if subject != {"Fn::Sub": "repo:${GitHubRepository}:environment:${Environment}"}:
        found.append(f"roles: the token's subject must be this repository's environment, not {subject}")
    if "StringLike" in trust.get("Condition", {}):
        found.append("roles: no wildcard subject")
    statements = deploy["Policies"][0]["PolicyDocument"]["Statement"]
    passing = [s for s in statements if "iam:PassRole" in str(s["Action"])]
    if len(passing) != 1 or passing[0]["Resource"] != {"Fn::GetAtt": ["ExecutionRole", "Arn"]}:
        found.append("roles: the deploy role passes the execution role only")
    elif passing[0].get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService") != "cloudformation.amazonaws.com":
        found.append("roles: the execution role is passed to CloudFormation only")
    execution = resources["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    listed = lambda s: s["Action"] if isinstance(s["Action"], list) else [s["Action"]]  # noqa: E731
    iam = [s for s in execution if any(str(a).startswith("iam:") for a in listed(s))]
    writes = ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy"]
    grants = lambda s, action: any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in listed(s))  # noqa: E731
    for statement in execution:
        bounded = statement.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary")
        if statement["Effect"] == "Allow" and any(grants(statement, w) for w in writes) and bounded != {"Ref": "FunctionBoundary"}:
            found.append(f"roles: {statement['Sid']} writes roles without requiring the boundary")
    cursor = ":secret:opsflow/${Environment}/cursor-signing-key-*"
    for statement in execution:
        if statement["Effect"] != "Allow" or not grants(statement, "secretsmanager:GetSecretValue"):
            continue
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            text = resource.get("Fn::Sub", "") if isinstance(resource, dict) else resource
            if ":secretsmanager:" in text and not text.endswith(cursor) or text == "*":
                found.append(f"roles: the execution role reads secrets beyond the stack's cursor secret ({text})")
    denied = [s for s in iam if s["Effect"] == "Deny" and "iam:DeleteRolePermissionsBoundary" in str(s["Action"])]
    if not denied:
        found.append("roles: the execution role must be denied removing a role's boundary")
    for statement in iam:
        if statement["Effect"] != "Allow" or "Fn::Sub" not in statement["Resource"]:
            continue
        pattern = statement["Resource"]["Fn::Sub"].split(":role/", 1)[1]
        for role in ("DeployRole", "ExecutionRole"):
            name = resources[role]["Properties"]["RoleName"]["Fn::Sub"]
            regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
            if re.match(regex, name):
                found.append(f"roles: the execution role may change {role} ({name} matches {pattern})")
    return found


def main() -> int:
    found = workflow_problems(ROOT / ".github/workflows/deploy.yml")
    found += roles_problems(ROOT / "infra/pipeline/deploy-roles.yaml")
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print("deploy pipeline: OIDC only, main only, staging before prod, executable builds")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
