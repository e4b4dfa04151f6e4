#!/bin/bash
# One-shot (compose service `kafka-init`): creates the event topics and the dead-letter topic.
# Idempotent. Runs in the apache/kafka image; the processor also creates missing topics on start,
# this only makes the partition count explicit and the topics exist before any producer starts.
#
# Environment (set in docker-compose.yml):
#   BOOTSTRAP_SERVER    broker to talk to (kafka:9092)
#   TOPIC_PARTITIONS    partitions per topic = the maximum number of processor instances (4)
#   TOPIC_PREFIX        CS_TOPIC_PREFIX of the pipeline (empty)
#   REPLICATION_FACTOR  1 on the single-node stack
#
# An existing topic is never altered. Adding partitions to a live topic moves keys (user_id, …) to
# other partitions and splits per-user state; see deploy/docker/README.md ("Scaling").
set -euo pipefail

BOOTSTRAP="${BOOTSTRAP_SERVER:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-4}"
PREFIX="${TOPIC_PREFIX:-}"
REPLICATION="${REPLICATION_FACTOR:-1}"
TOPICS_BIN=/opt/kafka/bin/kafka-topics.sh

# Keep in sync with TOPICS in @cs/schemas + the dead-letter topic (checked by test/integration/compose.test.ts).
TOPICS=(cs.sessions cs.calls cs.surveys cs.complaints cs.outreach cs.agents cs.qa cs.dead_letters)

for attempt in $(seq 1 30); do
  if "$TOPICS_BIN" --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1; then break; fi
  if [[ "$attempt" == 30 ]]; then echo "kafka-init: broker $BOOTSTRAP not reachable" >&2; exit 1; fi
  sleep 2
done

for base in "${TOPICS[@]}"; do
  topic="${PREFIX}${base}"
  "$TOPICS_BIN" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION"
  have="$("$TOPICS_BIN" --bootstrap-server "$BOOTSTRAP" --describe --topic "$topic" | grep -c 'Partition: ' || true)"
  if [[ "$have" != "$PARTITIONS" ]]; then
    echo "kafka-init: WARNING: $topic has $have partitions, TOPIC_PARTITIONS asks for $PARTITIONS (left unchanged)" >&2
  fi
  echo "kafka-init: $topic ready ($have partitions)"
done
