"""Checks the permissions boundary against the roles it bounds, offline.

Every role template.yaml declares (as SAM expands it) must carry the
FunctionPermissionsBoundary parameter as its boundary, and every action its
own (inline) policies allow, on every resource, must be allowed by the
pipeline's FunctionBoundary (infra/pipeline/deploy-roles.yaml) too:
otherwise a deploy through the pipeline would give a function a permission
IAM then refuses. The only managed policy a role may carry is AWS's
CodeDeploy-for-Lambda one, whose alias, alarm and topic actions the
boundary allows (not its S3 and hook-invocation ones: the stack uses no
CodeDeploy hooks).
Names are compared for one example environment, account and region.
Called by check_pipeline.py.
"""

import fnmatch
import importlib.util
import re
from pathlib import Path

ENV, ACCOUNT, REGION = "prod", "210987654321", "eu-west-1"
BOUNDARY = {
    "Fn::If": [
        "HasPermissionsBoundary",
        {"Ref": "FunctionPermissionsBoundary"},
        {"Ref": "AWS::NoValue"},
    ]
}
# The ARN each kind of resource has, from its name property.
ARNS = {
    "AWS::DynamoDB::Table": ("TableName", "arn:aws:dynamodb:{r}:{a}:table/{n}"),
    "AWS::SQS::Queue": ("QueueName", "arn:aws:sqs:{r}:{a}:{n}"),
    "AWS::Logs::LogGroup": ("LogGroupName", "arn:aws:logs:{r}:{a}:log-group:{n}:*"),
    "AWS::S3::Bucket": ("BucketName", "arn:aws:s3:::{n}"),
    "AWS::SNS::Topic": ("TopicName", "arn:aws:sns:{r}:{a}:{n}"),
}
PARAMETERS = {
    "Environment": ENV,
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "NotificationSender": "opsflow@example.com",
    "JwtSigningKeySecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:opsflow/{ENV}/jwt-signing-key-AbCdEf",
}


def expanded(root: Path) -> dict:
    spec = importlib.util.spec_from_file_location("expand", root / "infra/local/expand_template.py")
    expand = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(expand)
    with open(root / "template.yaml", encoding="utf-8") as handle:
        template = expand.packaged(expand.yaml_parse(handle.read()))
    parameters = {"JwtSigningKeySecretArn": PARAMETERS["JwtSigningKeySecretArn"]}
    return expand.transform(template, parameters, expand.OfflinePolicyLoader())


def sub(text: str, names: dict) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], text)


def arn(resources: dict, value, names: dict) -> str:
    """`value` (a resource of a policy statement) as the ARN it names."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return names[value["Ref"]]
    if "Fn::GetAtt" in value:
        return names[".".join(value["Fn::GetAtt"])]
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return sub(value["Fn::Sub"], names)
    raise KeyError(f"cannot read {value!r}")


def names_of(template: dict) -> dict:
    """Parameters, and each named resource's `Arn` (and a table's stream)."""
    names = dict(PARAMETERS)
    for logical_id, resource in template["Resources"].items():
        kind = ARNS.get(resource["Type"])
        if not kind:
            continue
        prop, pattern = kind
        name = resource["Properties"][prop]
        name = sub(name["Fn::Sub"], names) if isinstance(name, dict) else name
        names[f"{logical_id}.Arn"] = pattern.format(r=REGION, a=ACCOUNT, n=name)
        if resource["Type"] == "AWS::DynamoDB::Table":
            names[f"{logical_id}.StreamArn"] = names[f"{logical_id}.Arn"] + "/stream/2026-01-01T00:00:00.000"
    return names


def boundary_statements(roles_template: dict) -> list:
    """The boundary's statements as (actions, resource patterns)."""
    names = dict(PARAMETERS)
    document = roles_template["Resources"]["FunctionBoundary"]["Properties"]["PolicyDocument"]
    allowed = []
    for statement in document["Statement"]:
        plain_allow = statement["Effect"] == "Allow" and not (
            {"Condition", "NotAction", "NotResource"} & set(statement)
        )
        if not plain_allow:
            # What this check compares is what plain Allows grant.
            raise SystemExit(f"boundary: {statement.get('Sid')} is not a plain Allow")
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        allowed.append((actions, [arn({}, r, names) for r in listed]))
    return allowed


def within(action: str, resource: str, allowed: list) -> bool:
    return any(
        any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in patterns)
        for actions, patterns in allowed
    )


def boundary_problems(root: Path, roles_template: dict) -> list:
    template = expanded(root)
    names = names_of(template)
    allowed = boundary_statements(roles_template)
    found = []
    roles = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            found.append(f"boundary: {logical_id}: a role's policies belong in the role, where this check reads them")
    for logical_id, role in roles.items():
        properties = role["Properties"]
        if properties.get("PermissionsBoundary") != BOUNDARY:
            found.append(f"boundary: {logical_id} does not carry FunctionPermissionsBoundary")
        managed = properties.get("ManagedPolicyArns", [])
        if managed and managed != [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"}]:
            found.append(f"boundary: {logical_id} carries managed policies {managed}")
        for policy in properties.get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if {"NotAction", "NotResource"} & set(statement):
                    found.append(f"boundary: {logical_id}: NotAction/NotResource cannot be checked")
                    continue
                if statement["Effect"] != "Allow":
                    continue
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for resource in listed:
                    target = arn(template["Resources"], resource, names)
                    for action in actions:
                        if not within(action, target, allowed):
                            found.append(f"boundary: {logical_id} may {action} on {target}; the boundary does not allow it")
    if "DeploymentRole" not in roles:
        found.append("boundary: the stack must bring its own CodeDeploy role (DeploymentRole)")
    return found
