#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for development and tests.
#
#   deploy/kafka/kafka.sh start    fetch jars once, format storage once, start, wait until ready
#   deploy/kafka/kafka.sh stop     graceful SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT s
#   deploy/kafka/kafka.sh status   exit 0 when the broker runs and answers, 1 otherwise
#   deploy/kafka/kafka.sh reset    stop and delete all data and logs (jars are kept)
#   deploy/kafka/kafka.sh scram-user NAME
#                                  create or update SCRAM-SHA-256 and -512 credentials for NAME with
#                                  the password in KAFKA_SCRAM_PASSWORD (the broker must be running)
#
# Everything lives under <repo>/.stack/kafka/ (git-ignored): jars/, data/, logs/, kafka.pid,
# server.properties, log4j2.properties. Works from any cwd. All commands are idempotent.
# KAFKA_STACK_DIR puts a second broker's data, logs, pid and TLS material elsewhere (with its own
# ports), e.g. the fault suite's broker that it kills and restarts; the jars stay shared.
#
# Environment:
#   KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1 (default 9093)
#   KAFKA_SASL_SSL_PORT    opt-in SASL_SSL listener (SCRAM-SHA-256/512 over TLS) on 127.0.0.1
#   KAFKA_SASL_PLAINTEXT_PORT  opt-in SASL_PLAINTEXT listener (SCRAM-SHA-256/512, no TLS)
#                          With either one, SCRAM is enabled; with the SASL_SSL one, a local CA and
#                          a server certificate for 127.0.0.1/localhost are generated once (openssl)
#                          in .stack/kafka/tls/ (clients trust tls/ca.pem). Create users with
#                          `scram-user`. A running broker without the SASL listeners asked for is
#                          restarted with them; one with more listeners than asked for is kept.
#   KAFKA_HEAP_OPTS        JVM heap (default "-Xms256m -Xmx1g")
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 30)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
SASL_PLAINTEXT_PORT="${KAFKA_SASL_PLAINTEXT_PORT:-}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

BASE="${KAFKA_STACK_DIR:-$REPO_ROOT/.stack/kafka}"
# The jars are shared by every broker of the checkout (a second broker in its own KAFKA_STACK_DIR too).
JARS="$REPO_ROOT/.stack/kafka/jars"
DATA="$BASE/data"
LOGS="$BASE/logs"
PID_FILE="$BASE/kafka.pid"
PROPS="$BASE/server.properties"
LOG4J="$BASE/log4j2.properties"
CLUSTER_ID_FILE="$BASE/cluster-id"
POM_HASH_FILE="$JARS/.pom.sha256"
SERVER_LOG="$LOGS/server.log"
CONSOLE_LOG="$LOGS/console.out"
TLS_DIR="$BASE/tls"

say() { printf 'kafka: %s\n' "$*"; }
die() { printf 'kafka: ERROR: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on $HOST:$1.
port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Prints the pid of the broker this script started, if it is still alive (and really is Kafka).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be our kafka.Kafka.
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  fi
  printf '%s\n' "$pid"
}

require_java() {
  command -v java >/dev/null 2>&1 || die "java not found (Kafka 4 needs Java 17+)"
}

fetch_jars() {
  local want have=""
  want="$(sha256sum "$POM" | cut -d' ' -f1)"
  [[ -f "$POM_HASH_FILE" ]] && have="$(<"$POM_HASH_FILE")"
  if [[ "$want" == "$have" ]] && compgen -G "$JARS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found; it is needed once to fetch the Kafka jars"
  say "fetching Kafka jars (once, ~43 MB; cached in ~/.m2) ..."
  rm -rf "$JARS"
  mkdir -p "$JARS"
  local mvn_log="$BASE/mvn.log"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$JARS" -DincludeScope=runtime >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$JARS"
    die "mvn dependency:copy-dependencies failed (full output: ${mvn_log#"$REPO_ROOT"/})"
  fi
  printf '%s\n' "$want" >"$POM_HASH_FILE"
  say "jars ready in ${JARS#"$REPO_ROOT"/}"
}

# A local CA and a server certificate for 127.0.0.1 / localhost in a PKCS12 keystore, made once.
ensure_tls() {
  [[ -s "$TLS_DIR/server.p12" && -s "$TLS_DIR/ca.pem" && -s "$TLS_DIR/keystore.pass" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for the SASL_SSL listener's certificate)"
  say "generating a local CA and broker certificate in ${TLS_DIR#"$REPO_ROOT"/} ..."
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  (
    cd "$TLS_DIR"
    umask 077
    openssl rand -hex 16 >keystore.pass
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cs-analytics local Kafka CA" \
      -keyout ca.key -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.pem
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name kafka \
      -passout "file:keystore.pass" -out server.p12
    chmod 644 ca.pem
  ) >"$BASE/tls.log" 2>&1 || { cat "$BASE/tls.log" >&2; rm -rf "$TLS_DIR"; die "could not generate the TLS material with openssl"; }
}

# The broker configuration, on stdout.
render_config() {
  local extra="" protocols="" listener mechanism
  if [[ -n "$SASL_SSL_PORT" ]]; then
    extra+=",SASL_SSL://$HOST:$SASL_SSL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  if [[ -n "$SASL_PLAINTEXT_PORT" ]]; then
    extra+=",SASL_PLAINTEXT://$HOST:$SASL_PLAINTEXT_PORT"
    protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  cat <<EOF
# Generated by deploy/kafka/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT$extra
advertised.listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT$extra
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT$protocols
log.dirs=$DATA
EOF
  if [[ -n "$extra" ]]; then
    # SCRAM credentials live in the cluster metadata (kafka.sh scram-user); the login module takes no options.
    printf '\n# SCRAM on the SASL listeners (users: kafka.sh scram-user).\nsasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512\n'
    for listener in ${SASL_SSL_PORT:+sasl_ssl} ${SASL_PLAINTEXT_PORT:+sasl_plaintext}; do
      for mechanism in scram-sha-256 scram-sha-512; do
        printf 'listener.name.%s.%s.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n' "$listener" "$mechanism"
      done
    done
  fi
  if [[ -n "$SASL_SSL_PORT" ]]; then
    printf 'ssl.keystore.type=PKCS12\nssl.keystore.location=%s\nssl.keystore.password=%s\nssl.client.auth=none\n' \
      "$TLS_DIR/server.p12" "$(<"$TLS_DIR/keystore.pass")"
  fi
  render_common_config
}

write_config() {
  mkdir -p "$DATA" "$LOGS"
  [[ -z "$SASL_SSL_PORT" ]] || ensure_tls
  (umask 077 && render_config >"$PROPS")
  write_log4j
}

# True when the running broker lacks a SASL listener asked for now. A broker with more listeners than
# asked for is left alone (a plain `npm start` does not restart the tests' broker).
missing_listener() {
  [[ -f "$PROPS" ]] || return 1
  local listeners
  listeners="$(grep '^listeners=' "$PROPS" || true)"
  [[ -n "$SASL_SSL_PORT" && "$listeners" != *"SASL_SSL://$HOST:$SASL_SSL_PORT"* ]] && return 0
  [[ -n "$SASL_PLAINTEXT_PORT" && "$listeners" != *"SASL_PLAINTEXT://$HOST:$SASL_PLAINTEXT_PORT"* ]] && return 0
  return 1
}

render_common_config() {
  cat <<EOF

# Single node: every internal topic with replication factor 1.
offsets.topic.replication.factor=1
# Fewer offsets partitions than the default 50 makes the first group join fast locally.
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

num.partitions=4
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0

num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=1048576
socket.receive.buffer.bytes=1048576
socket.request.max.bytes=104857600
log.retention.hours=168
log.segment.bytes=268435456
EOF
}

write_log4j() {
  cat >"$LOG4J" <<'EOF'
# Generated by deploy/kafka/kafka.sh. Everything goes to logs/server.log; the console only gets errors.
status = warn
name = kafka-local
property.logs = ${sys:kafka.logs.dir}

appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${logs}/server.log
appender.file.filePattern = ${logs}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3

appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = error

rootLogger.level = info
rootLogger.appenderRef.file.ref = FILE
rootLogger.appenderRef.console.ref = STDOUT

logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
EOF
}

java_opts() {
  # shellcheck disable=SC2206
  JAVA_OPTS=($HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$LOG4J")
}

format_storage() {
  # The single-node quorum records its controller's address when formatted: a broker started on the
  # same storage with another controller port never becomes ready ("NotControllerException"). Not
  # formatted again silently: that would drop the topics a store's log has read up to.
  local formatted_for="$BASE/controller-port" formatted_port=""
  [[ -f "$formatted_for" ]] && formatted_port="$(<"$formatted_for")"
  if [[ -f "$DATA/meta.properties" && -n "$formatted_port" && "$formatted_port" != "$CONTROLLER_PORT" ]]; then
    die "this broker's storage was formatted for controller port $formatted_port, not $CONTROLLER_PORT: start it with KAFKA_CONTROLLER_PORT=$formatted_port, or run 'deploy/kafka/kafka.sh reset' first (drops its topics; reset the pipeline's store too, rm -rf .stack/chdb .stack/state)"
  fi
  if [[ -f "$DATA/meta.properties" ]]; then
    return 0
  fi
  java_opts
  local cid
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(<"$CLUSTER_ID_FILE")"
  else
    cid="$(java "${JAVA_OPTS[@]}" -cp "$JARS/*" kafka.tools.StorageTool random-uuid | tail -n 1 | tr -d '[:space:]')"
    [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$cid')"
    printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
  fi
  say "formatting storage (cluster id $cid) ..."
  # --standalone: single-node dynamic KRaft quorum; requires controller.quorum.bootstrap.servers
  # (and no controller.quorum.voters) in server.properties.
  java "${JAVA_OPTS[@]}" -cp "$JARS/*" kafka.tools.StorageTool format \
    -t "$cid" -c "$PROPS" --standalone >"$LOGS/format.out" 2>&1 \
    || { cat "$LOGS/format.out" >&2; die "storage format failed"; }
  printf '%s\n' "$CONTROLLER_PORT" >"$formatted_for"
}

log_tail() {
  printf -- '--- last lines of %s ---\n' "${SERVER_LOG#"$REPO_ROOT"/}" >&2
  tail -n 40 "$SERVER_LOG" 2>/dev/null >&2 || true
  if [[ -s "$CONSOLE_LOG" ]]; then
    printf -- '--- %s ---\n' "${CONSOLE_LOG#"$REPO_ROOT"/}" >&2
    tail -n 20 "$CONSOLE_LOG" >&2 || true
  fi
}

cmd_start() {
  local pid
  if pid="$(running_pid)" && missing_listener; then
    say "the running broker (pid $pid) has no listener on the SASL port(s) asked for; restarting it"
    cmd_stop
  fi
  if pid="$(running_pid)"; then
    if port_open "$PORT"; then
      say "already running (pid $pid) on $HOST:$PORT"
      return 0
    fi
    say "process $pid exists but $HOST:$PORT does not answer yet; waiting"
    wait_ready "$pid" "$(wc -l <"$SERVER_LOG" 2>/dev/null || echo 0)"
    return 0
  fi
  if port_open "$PORT"; then
    say "a broker already answers on $HOST:$PORT (not started by this script); using it"
    return 0
  fi
  rm -f "$PID_FILE"
  require_java
  fetch_jars
  write_config
  format_storage
  java_opts

  local from_line=0
  [[ -f "$SERVER_LOG" ]] && from_line="$(wc -l <"$SERVER_LOG")"
  say "starting broker on $HOST:$PORT (controller $HOST:$CONTROLLER_PORT) ..."
  # setsid: own session, so the broker survives the caller's terminal/test runner exiting.
  # The inner shell writes its own pid and execs java, so the pid file holds the JVM's pid.
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    java "${JAVA_OPTS[@]}" -cp "$JARS/*" kafka.Kafka "$PROPS" \
    </dev/null >"$CONSOLE_LOG" 2>&1 9>&- &
  # Wait (briefly) for the pid file written by the child.
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  [[ -s "$PID_FILE" ]] || die "broker process did not start"
  wait_ready "$(<"$PID_FILE")" "$from_line"
}

# Ready = this run logged "Kafka Server started" AND the PLAINTEXT port accepts connections.
wait_ready() {
  local pid="$1" from_line="$2" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      rm -f "$PID_FILE"
      die "broker (pid $pid) exited during startup"
    fi
    if [[ -f "$SERVER_LOG" ]] && tail -n +"$((from_line + 1))" "$SERVER_LOG" | grep -q 'Kafka Server started' \
      && port_open "$PORT" && { [[ -z "$SASL_SSL_PORT" ]] || port_open "$SASL_SSL_PORT"; } \
      && { [[ -z "$SASL_PLAINTEXT_PORT" ]] || port_open "$SASL_PLAINTEXT_PORT"; }; then
      say "ready on $HOST:$PORT (pid $pid)"
      return 0
    fi
    sleep 0.2
  done
  log_tail
  die "broker not ready after ${START_TIMEOUT}s (pid $pid still running; see ${SERVER_LOG#"$REPO_ROOT"/})"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    if port_open "$PORT"; then
      say "not started by this script, but something answers on $HOST:$PORT; leaving it alone"
    else
      say "not running"
    fi
    return 0
  fi
  say "stopping (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$PORT"; then
      say "running (pid $pid) on $HOST:$PORT"
      return 0
    fi
    say "process $pid alive but $HOST:$PORT not answering (starting or stuck?)"
    return 1
  fi
  if port_open "$PORT"; then
    say "a broker not managed by this script answers on $HOST:$PORT"
    return 0
  fi
  say "not running"
  return 1
}

cmd_reset() {
  cmd_stop
  if port_open "$PORT" && ! running_pid >/dev/null; then
    say "note: an unmanaged broker still answers on $HOST:$PORT; only local data is deleted"
  fi
  rm -rf "$DATA" "$LOGS" "$CLUSTER_ID_FILE" "$BASE/controller-port" "$PROPS" "$LOG4J"
  say "data and logs deleted (jars kept in ${JARS#"$REPO_ROOT"/})"
}

# SCRAM-SHA-256 and -512 credentials for one user, through the PLAINTEXT listener. The password comes
# from the environment and reaches the tool in a mode-600 java @argfile, never on a command line.
cmd_scram_user() {
  local user="${1:-}"
  [[ "$user" =~ ^[A-Za-z0-9._-]+$ ]] || die "usage: KAFKA_SCRAM_PASSWORD=... $(basename "$0") scram-user NAME (letters, digits, . _ -)"
  [[ -n "${KAFKA_SCRAM_PASSWORD:-}" ]] || die "set KAFKA_SCRAM_PASSWORD to the user's password"
  [[ "$KAFKA_SCRAM_PASSWORD" =~ ^[^],=[:space:]]+$ ]] || die "KAFKA_SCRAM_PASSWORD must not contain spaces, commas, = or ]"
  running_pid >/dev/null || die "the broker is not running (kafka.sh start)"
  java_opts
  local mechanism file out status
  # One mechanism per request (the broker refuses two changes of one user's credentials in one).
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    file="$(mktemp "$BASE/scram.XXXXXX")"
    # The launcher expands an @argfile only up to the main class, so the file holds the class and its arguments.
    printf '%s\n' kafka.admin.ConfigCommand --bootstrap-server "$HOST:$PORT" --alter --entity-type users \
      --entity-name "$user" --add-config "$mechanism=[password=$KAFKA_SCRAM_PASSWORD]" >"$file"
    status=0
    out="$(java "${JAVA_OPTS[@]}" -cp "$JARS/*" "@$file" 2>&1)" || status=$?
    rm -f "$file"
    # The tool may echo its arguments back: never print the password.
    ((status == 0)) || { printf '%s\n' "${out//"$KAFKA_SCRAM_PASSWORD"/***}" >&2; die "could not set the $mechanism credentials of $user"; }
  done
  say "SCRAM-SHA-256/512 credentials set for $user"
}

# start/stop/reset hold an exclusive lock, so concurrent callers (parallel test runs, two
# terminals) neither start two brokers on one data dir nor race on the pid file.
with_lock() {
  mkdir -p "$BASE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$BASE/.lock"
    flock -w 300 9 || die "another kafka.sh still holds $BASE/.lock after 300 s"
  fi
  "$@"
}

case "${1:-}" in
  start) with_lock cmd_start ;;
  stop) with_lock cmd_stop ;;
  status) cmd_status ;;
  reset) with_lock cmd_reset ;;
  scram-user) cmd_scram_user "${2:-}" ;;
  *)
    echo "usage: $(basename "$0") start|stop|status|reset|scram-user NAME" >&2
    exit 2
    ;;
esac
