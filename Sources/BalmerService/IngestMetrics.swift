import BalmerBus
import Metrics

/// The pipeline's swift-metrics instruments (no-ops unless the process bootstrapped a metrics
/// backend; `balmerd` bootstraps swift-prometheus and serves it on `/metrics`).
///
/// - `balmer_ingest_consumed_total`, `…_stored_total`, `…_rejected_total`, `…_retried_total`
///   (re-published to the retry topic), `…_dropped_total`, `…_batches_total`: counters (events; spectra).
/// - `balmer_ingest_batch_duration_seconds`: timer (histogram), poll → commit per micro-batch.
/// - `balmer_ingest_in_flight_batches`: gauge.
/// - `balmer_cnn_spectra_per_second`: gauge, CNN throughput of the last batch.
/// - `balmer_kafka_consumer_lag{topic,partition}`: gauge, messages behind the high watermark.
struct IngestMetrics: Sendable {
    let consumed = Counter(label: "balmer_ingest_consumed_total")
    let stored = Counter(label: "balmer_ingest_stored_total")
    let rejected = Counter(label: "balmer_ingest_rejected_total")
    let retried = Counter(label: "balmer_ingest_retried_total")
    let dropped = Counter(label: "balmer_ingest_dropped_total")
    let batches = Counter(label: "balmer_ingest_batches_total")
    let batchDuration = Metrics.Timer(label: "balmer_ingest_batch_duration_seconds")
    let cnnThroughput = Gauge(label: "balmer_cnn_spectra_per_second")

    /// Records the consumer's lag per partition.
    func recordLag(_ lag: [KafkaPartition: Int64]) {
        for (partition, value) in lag {
            Gauge(label: "balmer_kafka_consumer_lag",
                  dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")]).record(value)
        }
    }
}
