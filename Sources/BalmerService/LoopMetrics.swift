import Metrics

/// The loop's gauges on `/metrics`.
struct LoopMetrics: Sendable {
    let leader = Gauge(label: "balmer_loop_leader")
    let iteration = Gauge(label: "balmer_loop_iteration")
    let modelVersion = Gauge(label: "balmer_model_version")
    let tasksOpen = Gauge(label: "balmer_loop_tasks_open")
    let precision = Gauge(label: "balmer_loop_precision_estimate")
    let rescoreRemaining = Gauge(label: "balmer_rescore_chunks_remaining")
}
