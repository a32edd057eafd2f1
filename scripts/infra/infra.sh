#!/usr/bin/env bash
# Local infrastructure for development and tests, without Docker:
# Apache Kafka (KRaft, single combined node), PostgreSQL and Redis on 127.0.0.1.
#
#   scripts/infra/infra.sh up     [kafka|postgres|redis ...]  start (or reuse) and wait until ready
#   scripts/infra/infra.sh down   [part ...]                  stop what this script started; data is kept
#   scripts/infra/infra.sh status [part ...]                  one line per part; exit 1 if one is not up
#   scripts/infra/infra.sh env    [part ...]                  export lines: eval "$(scripts/infra/infra.sh env)"
#   scripts/infra/infra.sh wait   [part ...]                  wait until ready (starts nothing)
#
# No part named = all three. Everything lives under <repo>/.local/ (ignored by git):
#   .local/kafka/libs        Kafka jars resolved from Maven Central (scripts/infra/kafka/pom.xml)
#   .local/infra/kafka       server.properties, cluster id, log dirs, pid file
#   .local/infra/postgres    data/ (owned by the `postgres` OS user when run as root), socket dir
#   .local/infra/redis       working dir and pid file
#   .local/infra/logs        kafka.log, postgres.log, redis.log, and install logs
#
# Environment:
#   KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, REDIS_URL  when set, that part is not started locally; `up`/`wait` only
#                                                      check it is reachable and `env` echoes the given value
#   INFRA_WAIT_TIMEOUT   seconds to wait for each part to become ready (default 120)
#   INFRA_KAFKA_PORT / INFRA_KAFKA_CONTROLLER_PORT / INFRA_PG_PORT / INFRA_REDIS_PORT   (9092 / 9093 / 5432 / 6379)
#   INFRA_KAFKA_HEAP     JVM heap flags for the broker (default "-Xms256m -Xmx768m")
#   INFRA_DIR            state directory of this set of servers (default <repo>/.local/infra). With another
#                        directory and other INFRA_*_PORT values a second, private set runs beside the shared one
#                        (failure tests restart theirs without disturbing anybody); the Kafka jars stay shared.
#
# Missing binaries are installed: postgresql and redis-server with apt-get (root, or sudo without a password),
# a JRE and Maven likewise if absent. Service start-up by the packages is suppressed (policy-rc.d) so that no
# system-wide server grabs the ports.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
LOCAL_DIR=$REPO_ROOT/.local
INFRA_DIR=${INFRA_DIR:-$LOCAL_DIR/infra}
LOG_DIR=$INFRA_DIR/logs
# names derived from the checkout (socket dir, fallback data dir) are derived from INFRA_DIR when it is not the default
INFRA_NAME_SOURCE=$REPO_ROOT
[[ $INFRA_DIR == "$LOCAL_DIR/infra" ]] || INFRA_NAME_SOURCE=$INFRA_DIR

HOST=127.0.0.1
KAFKA_PORT=${INFRA_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${INFRA_KAFKA_CONTROLLER_PORT:-9093}
PG_PORT=${INFRA_PG_PORT:-5432}
REDIS_PORT=${INFRA_REDIS_PORT:-6379}
WAIT_TIMEOUT=${INFRA_WAIT_TIMEOUT:-120}
KAFKA_HEAP=${INFRA_KAFKA_HEAP:--Xms256m -Xmx768m}

PG_APP_USER=crm
PG_APP_PASSWORD=crm
PG_APP_DATABASES=(crm crm_test)

KAFKA_POM=$SCRIPT_DIR/kafka/pom.xml
KAFKA_LIBS=$LOCAL_DIR/kafka/libs
KAFKA_DIR=$INFRA_DIR/kafka
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_CONFIG=$KAFKA_DIR/server.properties
KAFKA_PIDFILE=$KAFKA_DIR/kafka.pid
KAFKA_LOG=$LOG_DIR/kafka.log

REDIS_DIR=$INFRA_DIR/redis
REDIS_PIDFILE=$REDIS_DIR/redis.pid
REDIS_LOG=$LOG_DIR/redis.log

ALL_PARTS=(kafka postgres redis)

# --------------------------------------------------------------------------------------------------------- helpers

say() { printf 'infra: %s\n' "$*" >&2; }
die() { printf 'infra: ERROR: %s\n' "$*" >&2; exit 1; }

# show the end of a log file on stderr (used before dying, so CI output says what went wrong)
tail_log() {
    local f=$1
    [[ -r $f ]] || return 0
    printf 'infra: ---- last lines of %s ----\n' "$f" >&2
    tail -n "${2:-25}" "$f" >&2 || true
    printf 'infra: ----\n' >&2
}

is_root() { [[ $EUID -eq 0 ]]; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

read_pidfile() { [[ -r $1 ]] && head -n1 "$1" | tr -dc '0-9' || true; }

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# TCP connect test (no data exchanged)
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# "scheme://user:pass@host:port/path" -> "host port" (port defaulted by the caller)
url_host_port() {
    local rest=${1#*://} default_port=$2
    rest=${rest%%/*}
    rest=${rest%%\?*}
    rest=${rest##*@}
    if [[ $rest == *:* ]]; then printf '%s %s\n' "${rest%:*}" "${rest##*:}"
    else printf '%s %s\n' "${rest:-127.0.0.1}" "$default_port"; fi
}

ensure_dir() { mkdir -p "$@"; }

# make every directory from / down to $1 searchable by OS user $2 (chmod o+x where needed); prints what changed
make_traversable() {
    local target=$1 user=$2 path="" part
    local -a parts
    IFS=/ read -ra parts <<<"${target#/}"
    for part in "${parts[@]}"; do
        [[ -n $part ]] || continue
        path+="/$part"
        [[ -d $path ]] || break
        if ! runuser -u "$user" -- test -x "$path" 2>/dev/null; then
            chmod o+x "$path" 2>/dev/null || return 1
            say "postgres: chmod o+x $path (so the '$user' OS user can reach its data directory)"
        fi
    done
    runuser -u "$user" -- test -x "$target" 2>/dev/null
}

APT_UPDATED=0
apt_install() {
    local -a sudo=()
    if ! is_root; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
        else die "missing packages ($*) and not root: install them (apt-get install $*) and re-run"; fi
    fi
    command -v apt-get >/dev/null || die "missing $* and no apt-get on this machine: install them by hand"
    ensure_dir "$LOG_DIR"
    local log=$LOG_DIR/apt.log policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    say "installing $* with apt-get (log: $log)"
    # keep the packages' maintainer scripts from starting system-wide servers on our ports
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, written by %s\nexit 101\n' "$0" | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        made_policy=1
    fi
    {
        if [[ $APT_UPDATED == 0 ]]; then
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q && APT_UPDATED=1
        fi
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
    } >>"$log" 2>&1 || rc=$?
    if [[ $made_policy == 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi
    if [[ $rc != 0 ]]; then tail_log "$log"; die "apt-get install $* failed (exit $rc); read $log"; fi
}

# run a command for a deadline: wait_for <what> <log> <alive-check-fn|-> <check-fn> [args...]
wait_for() {
    local what=$1 log=$2 alive=$3
    shift 3
    local deadline=$((SECONDS + WAIT_TIMEOUT))
    until "$@"; do
        if [[ $alive != - ]] && ! "$alive"; then
            tail_log "$log"
            die "$what: the process exited during start-up; read $log"
        fi
        if ((SECONDS >= deadline)); then
            tail_log "$log"
            die "$what: not ready after ${WAIT_TIMEOUT}s; read $log"
        fi
        sleep 0.5
    done
}

# ----------------------------------------------------------------------------------------------------------- kafka

# Kafka wire protocol, no JVM needed: send MetadataRequest v8 (all topics) and print "<correlation-id> <broker-count>".
# correlation id 42 proves a Kafka broker answered; broker count >= 1 means the broker is registered and unfenced,
# i.e. ready to create topics and take produce requests.
kafka_metadata_probe() {
    local out
    out=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        # size=22 | api_key=3 (Metadata) api_version=8 correlation_id=42 client_id="infra"
        # | topics=null (-1) allow_auto_topic_creation=0 include_cluster_authorized_operations=0 include_topic_...=0
        printf "\x00\x00\x00\x16\x00\x03\x00\x08\x00\x00\x00\x2a\x00\x05infra\xff\xff\xff\xff\x00\x00\x00" >&3
        head -c 16 <&3 | od -An -v -tu1' "$1" "$2" 2>/dev/null) || return 1
    # bytes: size(4) correlation_id(4) throttle_time_ms(4) brokers.length(4)
    local -a b
    read -ra b <<<"$out"
    ((${#b[@]} == 16)) || return 1
    printf '%d %d\n' $(((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7])) \
        $(((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]))
}

kafka_is_kafka() { local r; r=$(kafka_metadata_probe "$1" "$2") && [[ ${r%% *} == 42 ]]; }
kafka_ready_at() { local r; r=$(kafka_metadata_probe "$1" "$2") && [[ ${r%% *} == 42 && ${r##* } -ge 1 ]]; }
kafka_ready() { kafka_ready_at "$HOST" "$KAFKA_PORT"; }

kafka_pid() {
    local pid
    pid=$(read_pidfile "$KAFKA_PIDFILE")
    if pid_alive "$pid" && [[ $(cmdline_of "$pid") == *kafka.Kafka*"$KAFKA_CONFIG"* ]]; then echo "$pid"; fi
}
kafka_alive() { [[ -n $(kafka_pid) ]]; }
# while waiting for a broker we launched: also show the JVM's own output (bad flags, OOM) once it is gone
kafka_alive_or_report() {
    kafka_alive && return 0
    if [[ -s $LOG_DIR/kafka.out ]]; then tail_log "$LOG_DIR/kafka.out"; fi
    return 1
}

kafka_java_tool() { # run a Kafka CLI class with the resolved jars, quiet logging
    java -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/tools-log4j2.properties" \
        -cp "$KAFKA_LIBS/*" "$@"
}

kafka_ensure_tools() {
    if ! command -v java >/dev/null; then apt_install openjdk-17-jre-headless; fi
    local major
    major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [[ ${major%%.*} -ge 17 ]] 2>/dev/null || die "Kafka 4 needs Java 17 or newer; 'java' here is $major"
    if ! command -v mvn >/dev/null; then apt_install maven; fi
}

kafka_resolve_jars() {
    local want have=""
    want=$(sha256sum "$KAFKA_POM" | cut -c1-64)
    [[ -r $KAFKA_LIBS/.pom.sha256 ]] && have=$(<"$KAFKA_LIBS/.pom.sha256")
    if [[ $want == "$have" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then return 0; fi
    local log=$LOG_DIR/kafka-maven.log tmp=$LOCAL_DIR/kafka/libs.tmp
    say "kafka: resolving jars from Maven Central into ${KAFKA_LIBS#"$REPO_ROOT"/} (log: $log)"
    rm -rf "$tmp"
    ensure_dir "$tmp"
    if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$log" 2>&1; then
        tail_log "$log"
        die "kafka: Maven could not resolve the Kafka jars; read $log"
    fi
    echo "$want" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
}

kafka_write_config() {
    cat >"$KAFKA_CONFIG.tmp" <<EOF
# generated by scripts/infra/infra.sh on every 'up' -- edit the script, not this file
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# the services create their own topics
auto.create.topics.enable=false
delete.topic.enable=true

# small machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
    mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
}

kafka_format() {
    [[ -f $KAFKA_DATA/meta.properties ]] && return 0
    local cid_file=$KAFKA_DIR/cluster.id cid log=$LOG_DIR/kafka-format.log
    if [[ ! -s $cid_file ]]; then
        # a Kafka Uuid: 16 random bytes, base64url without padding (22 chars); avoid a leading '-'
        cid=-
        while [[ $cid == -* ]]; do cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'); done
        echo "$cid" >"$cid_file"
    fi
    cid=$(<"$cid_file")
    say "kafka: formatting KRaft storage (cluster id $cid)"
    if ! kafka_java_tool kafka.tools.StorageTool format --standalone --ignore-formatted \
        -t "$cid" -c "$KAFKA_CONFIG" >"$log" 2>&1; then
        tail_log "$log"
        die "kafka: storage format failed; read $log"
    fi
}

# starts the broker in the background (the caller waits afterwards): KAFKA_STARTED=1 when there is something to wait
# for, KAFKA_LAUNCHED=1 when this run launched the JVM itself
KAFKA_STARTED=0
KAFKA_LAUNCHED=0
kafka_up() {
    if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then external_check kafka; return; fi
    local pid
    pid=$(kafka_pid)
    if [[ -n $pid ]]; then
        say "kafka: already running (pid $pid), reusing"
        KAFKA_STARTED=1 # still wait for readiness (it may be booting from a concurrent 'up')
        return 0
    fi
    if port_open "$HOST" "$KAFKA_PORT"; then
        if kafka_is_kafka "$HOST" "$KAFKA_PORT"; then
            say "kafka: a Kafka broker not started by this checkout already serves $HOST:$KAFKA_PORT; reusing it ('down' leaves it alone)"
            KAFKA_STARTED=1
            return 0
        fi
        die "kafka: port $HOST:$KAFKA_PORT is taken by something that is not a Kafka broker; free it or set KAFKA_BOOTSTRAP_SERVERS"
    fi
    port_open "$HOST" "$KAFKA_CONTROLLER_PORT" &&
        die "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is already in use; free it or set INFRA_KAFKA_CONTROLLER_PORT"

    kafka_ensure_tools
    ensure_dir "$KAFKA_DIR" "$KAFKA_DATA" "$LOG_DIR"
    kafka_resolve_jars
    kafka_write_config
    kafka_format

    local out=$LOG_DIR/kafka.out
    say "kafka: starting broker+controller on $HOST:$KAFKA_PORT (log: $KAFKA_LOG)"
    rm -f "$KAFKA_PIDFILE"
    # shellcheck disable=SC2086  # KAFKA_HEAP is a list of flags
    (cd "$KAFKA_DIR" && exec setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PIDFILE" \
        java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -XX:ActiveProcessorCount=2 \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONFIG" </dev/null >"$out" 2>&1 9>&- &)

    for _ in $(seq 50); do [[ -s $KAFKA_PIDFILE ]] && break; sleep 0.1; done
    KAFKA_STARTED=1
    KAFKA_LAUNCHED=1
}

kafka_wait_ready() {
    if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then external_wait kafka; return; fi
    local alive=kafka_alive_or_report
    if [[ $KAFKA_LAUNCHED != 1 && -z $(kafka_pid) ]]; then alive=-; fi # a broker we reuse but did not start
    local t0=$SECONDS
    wait_for kafka "$KAFKA_LOG" "$alive" kafka_ready
    say "kafka: ready on $HOST:$KAFKA_PORT ($((SECONDS - t0))s wait)"
}

kafka_down() {
    local pid
    pid=$(kafka_pid)
    if [[ -z $pid ]]; then
        rm -f "$KAFKA_PIDFILE"
        say "kafka: not running (nothing started by this checkout)"
        return 0
    fi
    say "kafka: stopping pid $pid (SIGTERM, controlled shutdown)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 60))
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            say "kafka: still alive after 60s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.3
    done
    rm -f "$KAFKA_PIDFILE"
    say "kafka: stopped"
}

kafka_status() {
    if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then external_status kafka; return; fi
    local pid state log
    pid=$(kafka_pid)
    if [[ -n $pid ]]; then
        kafka_ready && state=running || state=starting
    elif kafka_ready; then state=foreign
    else state=stopped; fi
    [[ $state == foreign ]] && log="- (not started by this checkout)" || log=$KAFKA_LOG
    status_line kafka "$state" "${pid:--}" "$HOST:$KAFKA_PORT" "$log"
    [[ $state == running || $state == foreign ]]
}

# -------------------------------------------------------------------------------------------------------- postgres

PG_BIN=""
pg_find_bin() { # the newest /usr/lib/postgresql/*/bin, or the major version an existing data dir was made with
    local d best="" have=""
    [[ -n ${PG_DATA:-} && -r $PG_DATA/PG_VERSION ]] && have=$(<"$PG_DATA/PG_VERSION")
    if [[ -n $have && -x /usr/lib/postgresql/$have/bin/pg_ctl ]]; then
        PG_BIN=/usr/lib/postgresql/$have/bin
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/pg_ctl && -x $d/initdb && -x $d/postgres ]] || continue
        if [[ -z $best ]] || [[ $(basename "$(dirname "$d")") -gt $(basename "$(dirname "$best")") ]] 2>/dev/null; then
            best=$d
        fi
    done
    if [[ -z $best ]] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        best=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    fi
    PG_BIN=$best
    [[ -n $PG_BIN ]]
}

pg_client() { # psql / pg_isready: from PG_BIN if there, else PATH
    local name=$1
    shift
    if [[ -n $PG_BIN && -x $PG_BIN/$name ]]; then "$PG_BIN/$name" "$@"; else "$name" "$@"; fi
}

# the OS user that runs the server: postgres refuses to run as root
if is_root; then PG_OS_USER=postgres; else PG_OS_USER=$(id -un); fi

as_pg() { # run as the server's OS user, from a directory it can read
    if is_root; then (cd / && runuser -u "$PG_OS_USER" -- "$@"); else "$@"; fi
}

# where the data lives: .local/infra/postgres unless the postgres OS user cannot reach it (see pg_choose_root)
PG_LOCATION_FILE=$INFRA_DIR/postgres.location
pg_set_paths() {
    PG_ROOT=$1
    PG_DATA=$PG_ROOT/data
    if [[ $PG_ROOT == "$INFRA_DIR/postgres" ]]; then PG_LOG=$LOG_DIR/postgres.log; else PG_LOG=$PG_ROOT/postgres.log; fi
    PG_SOCK=$PG_ROOT/run
    # a unix socket path must stay under ~107 bytes
    if ((${#PG_SOCK} > 80)); then
        PG_SOCK=/tmp/crm-infra-pg-$(printf '%s' "$INFRA_NAME_SOURCE" | sha256sum | cut -c1-12)
    fi
}
pg_load_paths() {
    local root=$INFRA_DIR/postgres
    [[ -r $PG_LOCATION_FILE ]] && root=$(<"$PG_LOCATION_FILE")
    pg_set_paths "$root"
}
pg_load_paths

pg_ensure_os_user() {
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    say "postgres: creating system user '$PG_OS_USER'"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home --shell /bin/bash "$PG_OS_USER"
}

pg_choose_root() {
    local root=$INFRA_DIR/postgres
    if is_root; then
        ensure_dir "$root" "$LOG_DIR"
        if ! make_traversable "$root" "$PG_OS_USER" || ! make_traversable "$LOG_DIR" "$PG_OS_USER"; then
            root=/var/tmp/crm-infra-$(printf '%s' "$INFRA_NAME_SOURCE" | sha256sum | cut -c1-12)/postgres
            say "postgres: the '$PG_OS_USER' OS user cannot reach $INFRA_DIR; using $root for its data instead"
            ensure_dir "$root"
            chmod 755 "$(dirname "$root")"
        fi
        chown "$PG_OS_USER:" "$root"
        chmod 700 "$root"
    fi
    ensure_dir "$root"
    echo "$root" >"$PG_LOCATION_FILE"
    pg_set_paths "$root"
    if [[ $PG_LOG != "$LOG_DIR/postgres.log" ]]; then ln -sfn "$PG_LOG" "$LOG_DIR/postgres.log"; fi
}

pg_pid() { # postmaster pid of our data dir, if running
    local pid
    [[ -r $PG_DATA/postmaster.pid ]] || return 0
    pid=$(read_pidfile "$PG_DATA/postmaster.pid")
    if pid_alive "$pid" && [[ $(cmdline_of "$pid") == *postgres* ]]; then echo "$pid"; fi
}

pg_app_url() { printf 'postgresql://%s:%s@%s:%s/%s' "$PG_APP_USER" "$PG_APP_PASSWORD" "$HOST" "$PG_PORT" "${1:-crm}"; }

pg_app_login() { # the app role can log in over TCP with its password, to every app database
    local db
    for db in "${PG_APP_DATABASES[@]}"; do
        PGCONNECT_TIMEOUT=3 pg_client psql "$(pg_app_url "$db")" -Atqc 'select 1' >/dev/null 2>&1 || return 1
    done
}

pg_accepting() { PGCONNECT_TIMEOUT=3 pg_client pg_isready -q -h "$HOST" -p "$PG_PORT" >/dev/null 2>&1; }

pg_write_config() {
    local conf=$PG_DATA/postgresql.conf
    grep -q "^include_if_exists = 'crm-infra.conf'" "$conf" ||
        printf "\n# settings for the local dev/test server, rewritten by scripts/infra/infra.sh\ninclude_if_exists = 'crm-infra.conf'\n" >>"$conf"
    cat >"$PG_DATA/crm-infra.conf" <<EOF
# generated by scripts/infra/infra.sh on every 'up' -- edit the script, not this file
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 128MB
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
# dev/test speed over durability
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    cat >"$PG_DATA/pg_hba.conf" <<EOF
# generated by scripts/infra/infra.sh on every 'up' -- edit the script, not this file
# The unix socket lives in a 0700 directory owned by the server's OS user: only that user (and root) reach it.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
EOF
    if is_root; then chown "$PG_OS_USER:" "$PG_DATA/crm-infra.conf" "$PG_DATA/pg_hba.conf" "$conf"; fi
}

pg_provision() { # role crm (password crm) and its databases, idempotently, through the superuser socket
    local db sql
    sql="SELECT format('CREATE ROLE %I LOGIN CREATEDB CREATEROLE PASSWORD %L', '$PG_APP_USER', '$PG_APP_PASSWORD')
         WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_APP_USER') \\gexec"
    for db in "${PG_APP_DATABASES[@]}"; do
        sql+="
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', '$db', '$PG_APP_USER')
         WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \\gexec"
    done
    if ! printf '%s\n' "$sql" | pg_client psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" \
        -U postgres -d postgres >>"$PG_LOG" 2>&1; then
        tail_log "$PG_LOG"
        die "postgres: could not create role '$PG_APP_USER' / databases; read $PG_LOG"
    fi
}

pg_up() {
    if [[ -n ${DATABASE_URL:-} ]]; then external_check postgres; return; fi
    local pid
    pid=$(pg_pid)
    if [[ -n $pid ]]; then
        say "postgres: already running (pid $pid), reusing"
        pg_find_bin || true
        wait_for postgres "$PG_LOG" - pg_accepting
        pg_app_login || pg_provision
        pg_wait_ready
        return 0
    fi
    if port_open "$HOST" "$PG_PORT"; then
        pg_find_bin || true
        if pg_app_login; then
            say "postgres: a server not started by this checkout already serves $HOST:$PG_PORT and '$PG_APP_USER' can log in; reusing it ('down' leaves it alone)"
            return 0
        fi
        die "postgres: port $HOST:$PG_PORT is taken (by another server, without a working '$PG_APP_USER'/'$PG_APP_PASSWORD' login to ${PG_APP_DATABASES[*]}); stop it or set DATABASE_URL"
    fi

    if ! pg_find_bin; then
        apt_install postgresql
        pg_find_bin || die "postgres: installed postgresql but found no server binaries under /usr/lib/postgresql/*/bin"
    fi
    pg_ensure_os_user
    pg_choose_root
    ensure_dir "$PG_SOCK"
    if is_root; then
        chown "$PG_OS_USER:" "$PG_SOCK"
        [[ -e $PG_LOG ]] || : >"$PG_LOG"
        chown "$PG_OS_USER:" "$PG_LOG"
    fi
    chmod 700 "$PG_SOCK"

    pg_find_bin # again: the data dir may have moved (pg_choose_root) and pins a major version
    if [[ -f $PG_DATA/PG_VERSION ]]; then
        local data_major bin_major
        data_major=$(<"$PG_DATA/PG_VERSION")
        bin_major=$("$PG_BIN/postgres" --version | awk '{print $3}')
        bin_major=${bin_major%%.*}
        [[ $data_major == "$bin_major" ]] ||
            die "postgres: $PG_DATA was made by PostgreSQL $data_major but $PG_BIN is $bin_major; delete that directory (dev data) or install postgresql-$data_major"
    fi
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        local locale=C
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
        say "postgres: initdb $PG_DATA (UTF8, locale $locale, $("$PG_BIN/postgres" --version))"
        rm -rf "$PG_DATA"
        if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale="$locale" \
            --auth-local=trust --auth-host=scram-sha-256 --no-sync >>"$PG_LOG" 2>&1; then
            tail_log "$PG_LOG"
            die "postgres: initdb failed; read $PG_LOG"
        fi
    fi
    pg_write_config

    say "postgres: starting on $HOST:$PG_PORT (log: $PG_LOG)"
    if ! as_pg setsid "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_TIMEOUT" -s \
        </dev/null >>"$PG_LOG" 2>&1 9>&-; then
        tail_log "$PG_LOG"
        die "postgres: failed to start; read $PG_LOG"
    fi
    pg_provision
    pg_wait_ready
}

pg_wait_ready() {
    if [[ -n ${DATABASE_URL:-} ]]; then external_wait postgres; return; fi
    pg_find_bin || true
    wait_for postgres "$PG_LOG" - pg_accepting
    wait_for "postgres (login as $PG_APP_USER)" "$PG_LOG" - pg_app_login
    say "postgres: ready on $HOST:$PG_PORT (databases ${PG_APP_DATABASES[*]}, user $PG_APP_USER)"
}

pg_down() {
    local pid
    pid=$(pg_pid)
    if [[ -z $pid ]]; then
        say "postgres: not running (nothing started by this checkout)"
        return 0
    fi
    pg_find_bin || die "postgres: running (pid $pid) but pg_ctl not found"
    say "postgres: stopping pid $pid (pg_ctl stop -m fast)"
    if ! as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s; then
        say "postgres: fast shutdown timed out, trying immediate"
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t 30 -s || true
    fi
    say "postgres: stopped"
}

pg_status() {
    if [[ -n ${DATABASE_URL:-} ]]; then external_status postgres; return; fi
    pg_find_bin || true
    local pid state log
    pid=$(pg_pid)
    if [[ -n $pid ]]; then
        pg_app_login && state=running || state=starting
    elif port_open "$HOST" "$PG_PORT" && pg_app_login; then state=foreign
    else state=stopped; fi
    [[ $state == foreign ]] && log="- (not started by this checkout)" || log=$PG_LOG
    status_line postgres "$state" "${pid:--}" "$HOST:$PG_PORT" "$log"
    [[ $state == running || $state == foreign ]]
}

# ----------------------------------------------------------------------------------------------------------- redis

# PING over RESP, with AUTH when the URL carries a password; redis-cli when present, else bash's /dev/tcp
redis_ping_url() {
    local url=$1 host port
    read -r host port < <(url_host_port "$url" 6379)
    if command -v redis-cli >/dev/null; then
        [[ $(timeout 5 redis-cli -u "$url" --no-auth-warning ping 2>/dev/null) == PONG ]]
        return
    fi
    local userinfo="" pass=""
    [[ ${url#*://} == *@* ]] && userinfo=${url#*://} && userinfo=${userinfo%%@*}
    [[ $userinfo == *:* ]] && pass=${userinfo#*:}
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        if [[ -n $2 ]]; then printf "AUTH %s\r\n" "$2" >&3; IFS= read -r line <&3; [[ $line == +OK* ]] || exit 1; fi
        printf "PING\r\n" >&3; IFS= read -r line <&3; [[ $line == +PONG* ]]' "$host" "$port" "$pass" 2>/dev/null
}
redis_ready() { redis_ping_url "redis://$HOST:$REDIS_PORT/0"; }

redis_pid() { # ours: pid from our pid file, and a redis-server whose working directory is our redis dir
    local pid
    pid=$(read_pidfile "$REDIS_PIDFILE")
    if pid_alive "$pid" && [[ $(cmdline_of "$pid") == *redis-server* ]] &&
        [[ $(readlink -f "/proc/$pid/cwd" 2>/dev/null) == "$(readlink -f "$REDIS_DIR")" ]]; then
        echo "$pid"
    fi
}

redis_up() {
    if [[ -n ${REDIS_URL:-} ]]; then external_check redis; return; fi
    local pid
    pid=$(redis_pid)
    if [[ -n $pid ]]; then
        say "redis: already running (pid $pid), reusing"
        redis_wait_ready
        return 0
    fi
    if port_open "$HOST" "$REDIS_PORT"; then
        if redis_ready; then
            say "redis: a Redis not started by this checkout already serves $HOST:$REDIS_PORT; reusing it ('down' leaves it alone)"
            return 0
        fi
        die "redis: port $HOST:$REDIS_PORT is taken by something that does not answer PING; free it or set REDIS_URL"
    fi
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server redis-tools
    fi
    ensure_dir "$REDIS_DIR" "$LOG_DIR"
    rm -f "$REDIS_PIDFILE"
    say "redis: starting on $HOST:$REDIS_PORT (log: $REDIS_LOG)"
    if ! (cd "$REDIS_DIR" && redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize yes \
        --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
        --save '' --appendonly no </dev/null >>"$REDIS_LOG" 2>&1 9>&-); then
        tail_log "$REDIS_LOG"
        die "redis: failed to start; read $REDIS_LOG"
    fi
    redis_wait_ready
}

redis_wait_ready() {
    if [[ -n ${REDIS_URL:-} ]]; then external_wait redis; return; fi
    wait_for redis "$REDIS_LOG" - redis_ready
    say "redis: ready on $HOST:$REDIS_PORT"
}

redis_down() {
    local pid
    pid=$(redis_pid)
    if [[ -z $pid ]]; then
        say "redis: not running (nothing started by this checkout)"
        return 0
    fi
    say "redis: stopping pid $pid (SHUTDOWN NOSAVE)"
    timeout 10 redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 15))
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then kill -TERM "$pid" 2>/dev/null || true; sleep 1; kill -KILL "$pid" 2>/dev/null || true; break; fi
        sleep 0.2
    done
    rm -f "$REDIS_PIDFILE"
    say "redis: stopped"
}

redis_status() {
    if [[ -n ${REDIS_URL:-} ]]; then external_status redis; return; fi
    local pid state log
    pid=$(redis_pid)
    if [[ -n $pid ]]; then
        redis_ready && state=running || state=starting
    elif redis_ready; then state=foreign
    else state=stopped; fi
    [[ $state == foreign ]] && log="- (not started by this checkout)" || log=$REDIS_LOG
    status_line redis "$state" "${pid:--}" "$HOST:$REDIS_PORT" "$log"
    [[ $state == running || $state == foreign ]]
}

# -------------------------------------------------------------------------------------- parts given by the environment

external_var() { case $1 in kafka) echo KAFKA_BOOTSTRAP_SERVERS ;; postgres) echo DATABASE_URL ;; redis) echo REDIS_URL ;; esac; }

external_reachable() {
    local part=$1 value
    value=${!2}
    case $part in
    kafka)
        local server host port
        local -a servers
        IFS=, read -ra servers <<<"$value"
        for server in "${servers[@]}"; do
            server=${server#*://}
            host=${server%:*} port=${server##*:}
            [[ $host == "$server" ]] && port=9092
            kafka_is_kafka "$host" "$port" && return 0
        done
        return 1
        ;;
    postgres)
        # libpq does not know SQLAlchemy's "+driver" suffix
        local url=${value/+asyncpg:\/\//://} host port
        url=${url/+psycopg2:\/\//://}
        url=${url/+psycopg:\/\//://}
        url=${url/postgresql+*:\/\//postgresql://}
        if command -v psql >/dev/null || pg_find_bin; then
            PGCONNECT_TIMEOUT=5 pg_client psql "$url" -Atqc 'select 1' >/dev/null 2>&1
        else
            read -r host port < <(url_host_port "$value" 5432)
            port_open "$host" "$port"
        fi
        ;;
    redis) redis_ping_url "$value" ;;
    esac
}

external_check() {
    local part=$1 var
    var=$(external_var "$part")
    if external_reachable "$part" "$var"; then
        say "$part: $var is set, not starting one locally; it is reachable"
    else
        die "$part: $var is set (${!var}), so none is started locally, but it is not reachable"
    fi
}

external_wait() {
    local part=$1 var
    var=$(external_var "$part")
    wait_for "$part ($var)" /dev/null - external_reachable "$part" "$var"
    say "$part: $var is reachable"
}

external_status() {
    local part=$1 var state
    var=$(external_var "$part")
    external_reachable "$part" "$var" && state=external || state=unreachable
    status_line "$part" "$state" - "$var=${!var}" -
    [[ $state == external ]]
}

status_line() { printf '%-9s %-11s pid %-8s %-36s log %s\n' "$1" "$2" "$3" "$4" "$5"; }

# ------------------------------------------------------------------------------------------------------------ main

env_line() { printf 'export %s=%q\n' "$1" "$2"; }

cmd_env() {
    local part
    for part in "$@"; do
        case $part in
        kafka) env_line KAFKA_BOOTSTRAP_SERVERS "${KAFKA_BOOTSTRAP_SERVERS:-$HOST:$KAFKA_PORT}" ;;
        postgres) env_line DATABASE_URL "${DATABASE_URL:-postgresql+asyncpg://$PG_APP_USER:$PG_APP_PASSWORD@$HOST:$PG_PORT/crm}" ;;
        redis) env_line REDIS_URL "${REDIS_URL:-redis://$HOST:$REDIS_PORT/0}" ;;
        esac
    done
}

lock() { # serialise up/down of one checkout
    ensure_dir "$INFRA_DIR"
    exec 9>"$INFRA_DIR/.lock"
    flock -w 900 9 || die "another infra.sh up/down holds $INFRA_DIR/.lock"
}

has_part() { local p; for p in "${@:2}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

cmd_up() {
    lock
    local t0=$SECONDS t
    # Kafka's JVM boots in the background while Postgres and Redis come up
    if has_part kafka "$@"; then t=$SECONDS; kafka_up; fi
    if has_part postgres "$@"; then t=$SECONDS; pg_up; say "postgres: up in $((SECONDS - t))s"; fi
    if has_part redis "$@"; then t=$SECONDS; redis_up; say "redis: up in $((SECONDS - t))s"; fi
    if has_part kafka "$@" && [[ $KAFKA_STARTED == 1 ]]; then kafka_wait_ready; fi
    say "all up in $((SECONDS - t0))s; use: eval \"\$(${SCRIPT_DIR#"$REPO_ROOT"/}/infra.sh env)\""
    cmd_status "$@" >&2 || true
}

cmd_down() {
    lock
    local part
    for part in "$@"; do
        case $part in
        kafka) kafka_down ;;
        postgres) pg_down ;;
        redis) redis_down ;;
        esac
    done
}

cmd_status() {
    local part rc=0
    for part in "$@"; do
        case $part in
        kafka) kafka_status || rc=1 ;;
        postgres) pg_status || rc=1 ;;
        redis) redis_status || rc=1 ;;
        esac
    done
    return $rc
}

cmd_wait() {
    local part
    for part in "$@"; do
        case $part in
        kafka) kafka_wait_ready ;;
        postgres) pg_wait_ready ;;
        redis) redis_wait_ready ;;
        esac
    done
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    local -a parts=()
    local p
    for p in "$@"; do
        case $p in
        kafka | postgres | redis) has_part "$p" "${parts[@]}" || parts+=("$p") ;;
        pg | postgresql) has_part postgres "${parts[@]}" || parts+=(postgres) ;;
        *) usage >&2; die "unknown part '$p' (kafka, postgres, redis)" ;;
        esac
    done
    ((${#parts[@]})) || parts=("${ALL_PARTS[@]}")
    case $cmd in
    up) cmd_up "${parts[@]}" ;;
    down | stop) cmd_down "${parts[@]}" ;;
    status) cmd_status "${parts[@]}" ;;
    env) cmd_env "${parts[@]}" ;;
    wait) cmd_wait "${parts[@]}" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
    esac
}

main "$@"
