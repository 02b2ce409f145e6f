import BalmerBus
import BalmerCore
import BalmerStore
import Foundation
import Logging

extension IngestPipeline {
    /// Stores `batch` through ``BatchIsolation``: transient failures are retried (until a stop is
    /// requested); every spectrum the database refuses becomes a reject (source
    /// `ingest.source`, reason `store-refused`) with a dead letter whose reason carries the
    /// SQLSTATE, and leaves `batch.spectra`. Counters stay balanced: a refused spectrum counts as
    /// rejected, a reject row the database refuses even sanitised still counts as rejected (its
    /// dead letter is sent; it is logged at critical level).
    func storeIsolating(_ batch: inout PreparedBatch) async throws {
        let store = self.store
        var isolation = BatchIsolation(write: { try await store.storeIngestBatch($0) }, isStopping: { self.isStopping },
                                       logger: logger)
        let health = self.health
        isolation.report = { error in
            if let error { health.failed(.ingest, reason: "store batch failed: \(error)") } else { health.succeeded(.ingest) }
        }
        let outcome = try await isolation.store(IngestBatch(
            spectra: batch.spectra, probabilities: batch.probabilities, modelVersion: batch.modelVersion, rejects: batch.rejects))
        guard !outcome.refusedSpectra.isEmpty else { return }
        var rejects: [RejectRecord] = []
        for refusal in outcome.refusedSpectra {
            let message = batch.spectrumMessages[refusal.index]
            let reason = "the database refused the spectrum (SQLSTATE \(refusal.sqlState ?? "none")): \(refusal.error)"
            logger.warning("spectrum refused by the database; rejected", metadata: [
                "key": "\(RejectKey.printable(message.key ?? []))", "sqlstate": "\(refusal.sqlState ?? "none")",
                "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
            rejects.append(RejectRecord(message: message, reason: BatchIsolation.refusedReason,
                                        source: configuration.ingest.rejectSource))
            batch.deadLetters.append(DeadLetterEvent(message: message, code: BatchIsolation.refusedReason, reason: reason))
            batch.rejectPartitions.append(message.topicPartition)
        }
        _ = try await isolation.storeRejects(rejects, modelVersion: batch.modelVersion)
        batch.rejects += rejects
        let refused = Set(outcome.refusedSpectra.map(\.index))
        let keep = batch.spectra.indices.filter { !refused.contains($0) }
        batch.spectra = keep.map { batch.spectra[$0] }
        batch.probabilities = keep.map { batch.probabilities[$0] }
        batch.spectrumPartitions = keep.map { batch.spectrumPartitions[$0] }
        batch.spectrumMessages = keep.map { batch.spectrumMessages[$0] }
    }

    /// Sends one dead letter, retrying transient producer errors (outages, timeouts) until a stop
    /// is requested. A letter the broker or the codec refuses for good (too large, invalid) is
    /// sent once more without its payload (length and SHA-256 only); if that fails too it is
    /// logged, never retried forever.
    func sendDeadLetter(_ letter: DeadLetterEvent) async throws {
        let topic = configuration.kafka.deadLetterTopic
        do {
            try await retrying("send dead letter", isPermanent: Self.isPermanentSendError) {
                try await self.producer.send(letter, topic: topic)
            }
        } catch let error where Self.isPermanentSendError(error) {
            logger.error("dead letter refused; sending it without its payload", metadata: [
                "error": "\(error)", "key": "\(letter.key)", "bytes": "\(letter.originalPayloadBase64.utf8.count)",
            ])
            do {
                try await retrying("send dead letter", isPermanent: Self.isPermanentSendError) {
                    try await self.producer.send(letter.withoutPayload, topic: topic)
                }
            } catch let error where Self.isPermanentSendError(error) {
                logger.critical("dead letter refused even without its payload; only the rejects row remains", metadata: [
                    "error": "\(error)", "key": "\(letter.key)",
                ])
            }
        }
    }

    /// An error sending the same letter again cannot cure.
    static func isPermanentSendError(_ error: any Error) -> Bool {
        if error is EventDecodingError { return true }
        if let error = error as? KafkaError { return error.isPermanentForMessage }
        return false
    }
}
