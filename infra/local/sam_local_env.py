"""Prints the environment `sam local invoke` gives each function, offline.

    .venv/bin/python infra/local/sam_local_env.py [template.yaml] [env-vars file]

The SAM CLI's own code reads the template (its intrinsic resolver, which
evaluates no condition) and merges the `--env-vars` file as `sam local
invoke --env-vars FILE` does: a function's declared variables take the
file's values, undeclared ones are ignored, and a variable nobody gives a
value (or an intrinsic SAM cannot resolve) is empty. Only starting the
container is left out, which needs Docker. Prints one JSON object: each
function's logical id and its variables, the ones SAM adds for the Lambda
runtime (AWS_SAM_LOCAL, AWS_LAMBDA_*, credentials, region) left out.
"""

import json
import os
import sys

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

# What SAM sets for the runtime itself rather than from the template.
RUNTIME = {
    "AWS_SAM_LOCAL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCOUNT_ID",
}


def environments(template: str, env_vars: str) -> dict:
    with open(env_vars, encoding="utf-8") as file:
        values = json.load(file)
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(
        local_runtime=None,
        function_provider=provider,
        cwd=os.path.dirname(os.path.abspath(template)),
        real_path=os.path.dirname(os.path.abspath(template)),
        env_vars_values=values,
    )
    result = {}
    for function in provider.get_all():
        resolved = runner._make_env_vars(function).resolve()  # pylint: disable=protected-access
        result[function.name] = {
            key: value
            for key, value in resolved.items()
            if key not in RUNTIME and not key.startswith("AWS_LAMBDA_")
        }
    return result


def main() -> int:
    template = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    env_vars = sys.argv[2] if len(sys.argv) > 2 else ".local/sam-env.json"
    print(json.dumps(environments(template, env_vars), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
