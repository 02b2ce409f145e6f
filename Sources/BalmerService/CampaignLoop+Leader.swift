import BalmerBus
import BalmerCNN
import BalmerCore
import BalmerLearning
import BalmerStore
import Foundation
import Logging

/// The leader's steps (see ``CampaignLoop``).
extension CampaignLoop {
    /// Does the campaign's next step, if any is due.
    func advance() async throws {
        let campaign = try await store.campaign()
        try await publishPending()
        guard let active = try await store.activeEntry(), active.rescoredAt != nil else { return }
        if let final = campaign.finalModel {
            if campaign.finishedAt == nil && final == active.version {
                try await store.setFinalModel(final, finished: true, fence: try await fence())
                let candidates = try await store.candidates(CandidateQuery()).count
                logger.notice("campaign finished", metadata: ["model.version": "\(final)", "candidates": "\(candidates)"])
            } else if let finishedAt = campaign.finishedAt {
                try await queueNewcomers(model: active.version, since: finishedAt)
            }
            return
        }
        var current = try await openIteration(active)
        metrics.iteration.record(current.iteration)
        if campaign.convergedAt != nil { return try await train(from: active, iteration: current.iteration + 1, final: true) }

        let tasks = try await store.iterationTasks(iteration: current.iteration)
        metrics.tasksOpen.record(tasks.queryOpen + tasks.precisionAsked - tasks.precisionAnswered)
        if tasks.queryAsked + tasks.precisionAsked == 0 {
            guard try await settled(model: active.version) else { return }
            let (query, precision) = try await selectBatch(model: active.version, iteration: current.iteration, withPrecision: true)
            current.queried = query
            current.precisionSampleSize = precision
            try await store.saveIteration(current, fence: try await fence())
            if query + precision == 0 {
                logger.notice("nothing left to ask: final training", metadata: ["iteration": "\(current.iteration)"])
                try await train(from: active, iteration: current.iteration + 1, final: true)
            }
            return
        }
        // Fewer unlabelled predicted targets than a sample (rare classes, small releases): all of
        // them were asked, and the estimate is a census of every predicted target, labelled before
        // or now. None left at all: the census is complete without asking.
        let census = tasks.precisionAsked < loop.precisionSample
        if current.precisionEstimate == nil && loop.precisionSample > 0 && tasks.precisionAnswered >= tasks.precisionAsked
            && (tasks.precisionAsked > 0 || census) {
            // A census with nothing to count (no predicted target) gives no estimate: go on.
            if try await closePrecision(&current, model: active.version, census: census) { return }
        }
        let precisionDone = tasks.precisionAsked == 0 || current.precisionEstimate != nil
        let trainable = try await store.trainableOracleLabelCount()
        let lastTrained = try await store.modelEntries().filter { $0.kind != .file }.max { $0.version < $1.version }?.oracleLabels ?? 0
        let fresh = trainable - lastTrained
        if precisionDone && (fresh >= loop.retrainAfter || (tasks.queryOpen == 0 && fresh > 0)) {
            let final = current.iteration + 1 >= loop.maxIterations
            if final { logger.notice("iteration limit reached: final training", metadata: ["loop.max-iterations": "\(loop.maxIterations)"]) }
            return try await train(from: active, iteration: current.iteration + 1, final: final)
        }
        if precisionDone && tasks.queryOpen == 0, try await settled(model: active.version) {
            // Answered, yet nothing new to train on (a rejected model, unresolved conflicts): ask more.
            let (query, _) = try await selectBatch(model: active.version, iteration: current.iteration, withPrecision: false)
            current.queried += query
            try await store.saveIteration(current, fence: try await fence())
            if query == 0 && fresh == 0 {
                logger.notice("pool exhausted: final training", metadata: ["iteration": "\(current.iteration)"])
                try await train(from: active, iteration: current.iteration + 1, final: true)
            }
        }
    }

    /// After the campaign: the most uncertain spectra of each new release still go to the
    /// labellers (one batch per release, once it has settled); their answers are stored, not trained on.
    func queueNewcomers(model: Int, since finished: Date) async throws {
        let since = max(finished, try await store.latestTaskCreation(batchPrefix: "after-") ?? finished)
        guard let newest = try await store.latestIngestion(), newest > since,
              Date().timeIntervalSince(newest) >= Double(loop.settleSeconds) else { return }
        let iteration = try await store.iterations().last?.iteration ?? 0
        let now = Date()
        let batch = try await selector.queryBatch(model: model, iteration: iteration,
                                                  batchID: "after-\(Int64(now.timeIntervalSince1970 * 1000))", now: now,
                                                  newerThan: since)
        guard !batch.isEmpty else { return }
        try await store.upsertTasks(batch, fence: try await fence())
        logger.notice("tasks selected from new spectra after the campaign", metadata: ["query": "\(batch.count)", "model.version": "\(model)"])
        try await publishPending()
    }

    /// Whether the pool (spectra without an initial label) has spectra scored by `model` and no
    /// spectrum arrived for `loop.settle-seconds`.
    func settled(model: Int) async throws -> Bool {
        guard let newest = try await store.latestIngestion(),
              Date().timeIntervalSince(newest) >= Double(loop.settleSeconds) else { return false }
        return try await store.poolScoreCount(modelVersion: model) > 0
    }

    /// The iteration of the active model, opened when the model changed.
    func openIteration(_ active: ModelEntry) async throws -> IterationRecord {
        let iterations = try await store.iterations()
        if let last = iterations.last, last.modelVersion == active.version { return last }
        if var finished = iterations.last, finished.finishedAt == nil {
            finished.finishedAt = Date()
            try await store.saveIteration(finished, fence: try await fence())
        }
        let next = IterationRecord(iteration: (iterations.last?.iteration ?? -1) + 1, modelVersion: active.version,
                                   labelsUsed: active.record.trainingCounts.values.reduce(0, +), startedAt: Date())
        try await store.saveIteration(next, fence: try await fence())
        logger.notice("iteration opened", metadata: ["iteration": "\(next.iteration)", "model.version": "\(active.version)"])
        return next
    }

    /// Chooses, stores and publishes a query batch (and the precision sample when asked).
    func selectBatch(model: Int, iteration: Int, withPrecision: Bool) async throws -> (query: Int, precision: Int) {
        let now = Date()
        let stamp = Int64(now.timeIntervalSince1970 * 1000)
        let query = try await selector.queryBatch(model: model, iteration: iteration, batchID: "it\(iteration)-query-\(stamp)", now: now)
        let precision = withPrecision && loop.precisionSample > 0
            ? try await selector.precisionSample(model: model, iteration: iteration, batchID: "it\(iteration)-precision-\(stamp)",
                                                 excluding: Set(query.map(\.spectrumID)), now: now)
            : []
        try await store.upsertTasks(precision + query, fence: try await fence())
        logger.notice("tasks selected", metadata: [
            "iteration": "\(iteration)", "model.version": "\(model)", "query": "\(query.count)", "precision": "\(precision.count)",
        ])
        try await publishPending()
        return (query.count, precision.count)
    }

    /// Publishes stored tasks whose delivery was never confirmed (new ones, or after a crash).
    func publishPending() async throws {
        let pending = try await store.unpublishedTasks()
        guard !pending.isEmpty else { return }
        var delivered: [String] = []
        defer { if !delivered.isEmpty { logger.info("tasks published", metadata: ["count": "\(delivered.count)"]) } }
        for chunk in stride(from: 0, to: pending.count, by: 50).map({ Array(pending[$0..<min($0 + 50, pending.count)]) }) {
            var events: [TaskEvent] = []
            for task in chunk { events.append(try await selector.event(for: task)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for event in events {
                    group.addTask { _ = try await self.producer.send(event, topic: self.loop.tasksTopic) }
                }
                try await group.waitForAll()
            }
            try await store.markTasksPublished(chunk.map(\.id), fence: try await fence())
            delivered += chunk.map(\.id)
        }
    }

    /// Estimates precision from the answered sample (or the census of `model`'s predicted
    /// targets), applies the stop rule, records both.
    /// Returns whether an estimate was recorded.
    func closePrecision(_ current: inout IterationRecord, model: Int, census: Bool) async throws -> Bool {
        let sample = census
            ? try await store.predictedTargets(modelVersion: model)
            : try await store.precisionSample(iteration: current.iteration)
        let usable = sample.filter { $0.label != nil }
        guard !usable.isEmpty || !census else {
            // Nothing predicted as a target (or nothing of it labelled yet): no estimate this iteration.
            logger.debug("no precision estimate possible", metadata: ["iteration": "\(current.iteration)", "census": "\(census)"])
            return false
        }
        let correct = usable.filter { $0.label == $0.predicted }.count
        let estimate = PrecisionEstimate(correct: correct, sampleSize: usable.count)
        current.precisionEstimate = estimate.estimate
        current.precisionLowerBound = estimate.studentTLower
        current.precisionSampleSize = usable.count
        let estimates = try await store.iterations().filter { $0.iteration < current.iteration }.compactMap(\.precisionEstimate)
            + [estimate.estimate]
        current.converged = StopRule(threshold: loop.threshold, times: loop.times).converged(estimates)
        try await store.saveIteration(current, fence: try await fence())
        try await store.savePrecisionCounts(iteration: current.iteration, correct: correct,
                                            clopperPearsonLower: estimate.clopperPearsonLower, fence: try await fence())
        metrics.precision.record(estimate.estimate)
        logger.notice("precision estimated", metadata: [
            "iteration": "\(current.iteration)", "estimate": "\(String(format: "%.3f", estimate.estimate))",
            "t.lower": "\(String(format: "%.3f", estimate.studentTLower))", "sample": "\(usable.count)",
            "unresolved": "\(sample.count - usable.count)", "converged": "\(current.converged)", "census": "\(census)",
        ])
        if current.converged { try await store.markConverged(iteration: current.iteration, fence: try await fence()) }
        return true
    }

    /// Retrains from `active` (warm start), gates, and promotes or rejects the result. The final
    /// training keeps the active model as the final one when its result fails the gate.
    func train(from active: ModelEntry, iteration: Int, final: Bool) async throws {
        let examples = try await store.trainingSet()
        let oracle = examples.filter(\.fromOracle).count
        let (training, heldOut) = StoreTraining.split(examples, holdoutFraction: loop.holdoutFraction, seed: loop.seed)
        var options = StoreTraining.Options()
        options.maxEpochs = final ? loop.finalMaxEpochs : loop.maxEpochs
        options.patience = final ? loop.finalPatience : loop.patience
        options.minDelta = final ? loop.finalMinDelta : loop.minDelta
        options.batchSize = loop.trainingBatchSize
        options.holdoutFraction = loop.holdoutFraction
        options.smote = loop.smote
        options.seed = loop.seed &+ UInt64(iteration) &* 104_729
        options.threads = threads
        let warm = try await load(active.version, sha256: active.record.sha256)
        logger.notice("training", metadata: [
            "iteration": "\(iteration)", "final": "\(final)", "examples": "\(training.count)", "oracle": "\(oracle)",
            "held-out": "\(heldOut.count)", "parent": "\(active.version)",
        ])
        let logger = self.logger
        let started = ContinuousClock.now
        let settings = options
        let candidate = try await health.busy(.loop, final ? "final training" : "training") {
            try await ComputeThread.run {
                try StoreTraining.train(training, warmStart: warm, options: settings, logger: logger) { report in
                    logger.debug("epoch", metadata: ["epoch": "\(report.epoch)", "loss": "\(report.loss)",
                                                     "val.loss": "\(report.validationLoss ?? .nan)"])
                }
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        // Leadership may have moved while training (a lost connection): the new leader retrains.
        guard try await leader.tryAcquire() else {
            logger.warning("lost leadership while training: discarding the model")
            return
        }
        let untrained = try await store.untrainedOracleLabels(limit: 500)
        let threads = self.threads
        let (candidateHeld, activeHeld, candidateOracle, activeOracle) = try await ComputeThread.run {
            (try StoreTraining.accuracy(of: candidate, on: heldOut, threads: threads),
             try StoreTraining.accuracy(of: warm, on: heldOut, threads: threads),
             try StoreTraining.accuracy(of: candidate, on: untrained, threads: threads),
             try StoreTraining.accuracy(of: warm, on: untrained, threads: threads))
        }
        let gate = Gate(margin: loop.gateMargin, candidateHeldOut: candidateHeld, activeHeldOut: activeHeld,
                        candidateOracle: candidateOracle, activeOracle: activeOracle, oracleExamples: untrained.count)
        var metricsJSON: [String: Double] = ["training_seconds": seconds, "oracle_labels": Double(oracle),
                                             "heldout_examples": Double(heldOut.count), "oracle_examples": Double(untrained.count)]
        metricsJSON["heldout_accuracy"] = candidateHeld
        metricsJSON["parent_heldout_accuracy"] = activeHeld
        metricsJSON["oracle_accuracy"] = candidateOracle
        metricsJSON["parent_oracle_accuracy"] = activeOracle
        metricsJSON["epochs"] = candidate.info.training.map { Double($0.epochsRun) }
        let encoded = String(decoding: try JSONSerialization.data(withJSONObject: metricsJSON, options: [.sortedKeys]), as: UTF8.self)
        let version = try await store.registerTrainedModel(
            parent: active.version, createdAt: candidate.info.created, trainingCounts: StoreTraining.counts(training),
            metricsJSON: encoded, sha256: candidate.sha256, weights: Data(candidate.safetensorsBytes()),
            kind: final ? .final : .loop, iteration: iteration, oracleLabels: oracle)
        if gate.passes {
            try await store.promoteModel(version: version, decision: "promoted: \(gate.summary)", fence: try await fence())
            if final { try await store.setFinalModel(version, finished: false, fence: try await fence()) }
            logger.notice("model promoted", metadata: ["model.version": "\(version)", "final": "\(final)", "gate": "\(gate.summary)"])
            try await announce(version: version, sha256: candidate.sha256, metrics: metricsJSON)
            try await syncModel()
        } else {
            try await store.rejectModel(version: version, decision: "rejected by the gate: \(gate.summary)")
            logger.warning("model rejected by the gate; keeping the active model", metadata: [
                "model.version": "\(version)", "active.version": "\(active.version)", "gate": "\(gate.summary)",
            ])
            if final { try await store.setFinalModel(active.version, finished: false, fence: try await fence()) }
        }
    }

    /// The fence of this leader's writes (opening and closing iterations, precision and convergence,
    /// storing and publishing tasks, promoting, the final model): each checks in its own transaction that the lock is still held by the
    /// session that took it. Throws ``LeaderFence/Lost`` when this instance no longer leads.
    func fence() async throws -> LeaderFence {
        guard let fence = await leader.fence() else { throw LeaderFence.Lost(fence: LeaderFence(key: leader.key, backendPID: 0)) }
        return fence
    }

    /// Tells every consumer of `balmer.models` about a promotion.
    func announce(version: Int, sha256: String, metrics: [String: Double]) async throws {
        _ = try await producer.send(ModelEvent(version: String(version), sha256: sha256, metrics: metrics,
                                               location: "postgresql:models/\(version)"), topic: loop.modelsTopic)
    }
}

/// The promotion gate: a retrained model may be worse than the active one by at most `margin`
/// in accuracy on the held-out initial labels and (with ≥ 10 of them) on oracle labels never
/// trained on.
struct Gate: Sendable {
    var margin: Double
    var candidateHeldOut: Double?
    var activeHeldOut: Double?
    var candidateOracle: Double?
    var activeOracle: Double?
    var oracleExamples: Int

    var heldOutPasses: Bool {
        guard let c = candidateHeldOut, let a = activeHeldOut else { return true }
        return c >= a - margin
    }

    var oraclePasses: Bool {
        guard oracleExamples >= 10, let c = candidateOracle, let a = activeOracle else { return true }
        return c >= a - margin
    }

    var passes: Bool { heldOutPasses && oraclePasses }

    var summary: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        return "held-out accuracy \(f(candidateHeldOut)) vs \(f(activeHeldOut)), untrained oracle accuracy "
            + "\(f(candidateOracle)) vs \(f(activeOracle)) (\(oracleExamples) labels), margin \(margin)"
    }
}
