"""Checks samconfig.toml as the SAM CLI reads it (its own loader, offline).

    .venv/bin/python infra/local/check_samconfig.py [samconfig.toml's directory]

For each environment (default, staging, prod) and each command that builds
or runs the template (build, deploy, sync, local invoke, local start-api),
the parameters SAM resolves must agree: one Architecture (arm64) for the
build and the stack, the environment's own Environment and stack name, no
`cached` build (it hashes the whole repository per function), and `sam
sync --watch` must not rebuild every function on what a build writes
(`watch_exclude` lists each function of template.yaml), no environment may
set SamLocal (it points the functions at the emulators), staging and prod
(deployed by the pipeline) give the roles the pipeline's permissions
boundary, and `sam local`
reads the env-vars file `make sam-env` writes. Exits non-zero naming each
problem.
"""

import re
import sys

from samcli.lib.config.samconfig import SamConfig

ENVIRONMENTS = {"default": "dev", "staging": "staging", "prod": "prod"}
COMMANDS = [["build"], ["deploy"], ["sync"], ["local", "invoke"], ["local", "start-api"]]
UNWATCHED = ["/target/", "/.local/", "/.venv/"]


def overrides(parameters: dict) -> dict:
    listed = parameters.get("parameter_overrides", [])
    if isinstance(listed, str):
        listed = listed.split(" ")
    pairs = (item.split("=", 1) for item in listed if "=" in item)
    return {key: value.strip('"') for key, value in pairs}


def problems(directory: str) -> list:
    config = SamConfig(directory)
    found = []
    for env, name in ENVIRONMENTS.items():
        for command in COMMANDS:
            where = f"{env} {' '.join(command)}"
            parameters = config.get_all(command, "parameters", env=env)
            values = overrides(parameters)
            if values.get("Architecture") != "arm64":
                found.append(f"{where}: Architecture is {values.get('Architecture')!r}, not 'arm64'")
            if values.get("Environment") != name:
                found.append(f"{where}: Environment is {values.get('Environment')!r}, not {name!r}")
            if values.get("SamLocal", "false") != "false":
                found.append(f"{where}: SamLocal points the functions at 127.0.0.1")
            key = values.get("JwtSigningKeySecretArn", "")
            if not re.fullmatch(rf"arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{{12}}:secret:opsflow/{name}/jwt-signing-key-\w+", key):
                found.append(f"{where}: the signing key is not bootstrap's opsflow/{name}/jwt-signing-key ({key!r}), which the boundary lets auth read")
            boundary = values.get("FunctionPermissionsBoundary", "")
            if env != "default" and not re.fullmatch(
                rf"arn:aws:iam::[0-9]{{12}}:policy/opsflow-pipeline-{name}-function-boundary", boundary
            ):
                found.append(f"{where}: the pipeline's boundary is not the roles' boundary ({boundary!r})")
            if parameters.get("cached"):
                found.append(f"{where}: cached builds hash the whole repository per function")
        deploy = config.get_all(["deploy"], "parameters", env=env)
        if deploy.get("stack_name") != f"opsflow-{name}":
            found.append(f"{env} deploy: stack_name is {deploy.get('stack_name')!r}")
    for command in (["local", "invoke"], ["local", "start-api"]):
        local = config.get_all(command, "parameters", env="default")
        if local.get("env_vars") != ".local/sam-env.json":
            found.append(f"default {' '.join(command)}: env_vars is not `make sam-env`'s file")
    sync = config.get_all(["sync"], "parameters", env="default")
    excluded = set(sync.get("watch_exclude", []))
    for function in functions(f"{directory}/template.yaml"):
        for path in UNWATCHED:
            if f"{function}={path}" not in excluded:
                found.append(f"default sync: watch_exclude lacks {function}={path}")
    return found


def functions(template: str) -> list:
    """The logical ids of the template's functions."""
    with open(template, encoding="utf-8") as text:
        return re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function", text.read(), re.M)


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    found = problems(directory)
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print("samconfig.toml: every environment builds and deploys arm64 under its own name")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
