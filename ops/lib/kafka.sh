#!/usr/bin/env bash
# The Kafka mock cluster for the demo and local runs: `balmer kafka mock` (librdkafka's mock
# brokers, real protocol over loopback TCP) in the background. Source this file, call
# `balmer_kafka_start BALMER_BINARY LOGFILE`; it exports BALMER_KAFKA_BROKERS and
# BALMER_KAFKA_PID. `balmer_kafka_stop` stops it.

balmer_kafka_start() {
    local balmer=$1 log=$2 fifo line
    fifo=$(mktemp -u /tmp/balmer-kafka.XXXXXX)
    mkfifo "$fifo"
    "$balmer" kafka mock --brokers "${BALMER_KAFKA_MOCK_BROKERS:-1}" >"$fifo" 2>>"$log" &
    BALMER_KAFKA_PID=$!
    if ! read -r -t 30 line <"$fifo"; then
        rm -f "$fifo"
        echo "balmer: the Kafka mock cluster did not start (see $log)" >&2
        return 1
    fi
    rm -f "$fifo"
    BALMER_KAFKA_BROKERS=${line#bootstrap.servers=}
    export BALMER_KAFKA_BROKERS BALMER_KAFKA_PID
    echo "balmer: Kafka mock cluster at $BALMER_KAFKA_BROKERS (pid $BALMER_KAFKA_PID)" >&2
}

balmer_kafka_stop() {
    [ -n "${BALMER_KAFKA_PID:-}" ] || return 0
    kill -TERM "$BALMER_KAFKA_PID" 2>/dev/null || true
    wait "$BALMER_KAFKA_PID" 2>/dev/null || true
    unset BALMER_KAFKA_PID
}
