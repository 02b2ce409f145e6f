import BalmerCore
import BalmerStore
import Foundation
import Logging

/// Stores one ingest batch so that no row can block it: transient failures (connection, deadlock,
/// shutdown, statement timeout; ``StoreErrorClass``) are retried with back-off until they pass or
/// a stop is requested, as before; a permanent failure (a value or size the database refuses)
/// splits the batch in halves, each written in its own transaction, recursively, until every
/// refused row is alone. The good rows end up stored; the refused ones are reported, so the
/// caller can turn each refused spectrum into a reject (source `ingest`, reason
/// ``refusedReason``) and a dead letter. A reject row the database refuses is stored in its
/// ``RejectRecord/sanitised`` form; if even that is refused it is reported as unstorable (and
/// logged), never retried forever. A systemic failure (a missing grant or table, a read-only
/// server: ``StoreErrorClass/systemic``) is retried like a transient one, every 30 s at most,
/// since isolating rows would reject every row alike.
///
/// Replaying any part is harmless: `storeIngestBatch` upserts on the natural keys. A batch with
/// one bad row among n costs about 2·log2(n) extra transactions.
struct BatchIsolation: Sendable {
    /// The `rejects.reason` of a spectrum the database refused.
    static let refusedReason = "store-refused"

    /// Writes one batch in one transaction (`PostgresStore.storeIngestBatch` in the daemon).
    let write: @Sendable (IngestBatch) async throws -> Void
    /// Whether a stop was requested (transient retries then give up and throw).
    let isStopping: @Sendable () -> Bool
    /// Told of every failed write that is retried (transient or systemic) and of every write that
    /// worked (`nil`): the daemon's health.
    var report: @Sendable ((any Error)?) -> Void = { _ in }
    let logger: Logger

    /// A spectrum the database refused, by its index in the batch, with the error.
    struct Refusal: Sendable {
        var index: Int
        var error: any Error

        /// The SQLSTATE, when the refusal came from PostgreSQL.
        var sqlState: String? { (error as? PostgresError)?.sqlState }
    }

    /// What happened to a batch.
    struct Outcome: Sendable {
        /// Spectra refused by the database (indices into the batch's spectra), in order.
        var refusedSpectra: [Refusal] = []
        /// Rejects refused as they were and stored sanitised instead (indices into the batch's rejects).
        var sanitisedRejects: [Int] = []
        /// Rejects refused even sanitised (indices): not in the table; their dead letter still goes out.
        var unstorableRejects: [Int] = []
        /// Transactions used (1 when nothing was refused).
        var writes = 0
    }

    private enum Item: Sendable { case spectrum(Int), reject(Int) }

    /// Stores `batch`, isolating the rows the database refuses. Throws only on a transient error
    /// once a stop is requested (nothing of the failed part is then stored).
    func store(_ batch: IngestBatch) async throws -> Outcome {
        var outcome = Outcome()
        guard let error = try await attempt(batch, &outcome) else { return outcome }
        logger.warning("the database refused a batch; isolating the refused rows", metadata: [
            "error": "\(error)", "spectra": "\(batch.spectra.count)", "rejects": "\(batch.rejects.count)",
        ])
        let items = batch.spectra.indices.map(Item.spectrum) + batch.rejects.indices.map(Item.reject)
        for (item, error) in try await isolate(items[...], in: batch, failedWith: error, &outcome) {
            switch item {
            case .spectrum(let i): outcome.refusedSpectra.append(Refusal(index: i, error: error))
            case .reject(let i):
                logger.error("the database refused a reject row; storing it sanitised", metadata: [
                    "error": "\(error)", "key": "\(RejectKey.printable(batch.rejects[i].key))",
                ])
                if try await storeSanitised(batch.rejects[i], modelVersion: batch.modelVersion, &outcome) {
                    outcome.sanitisedRejects.append(i)
                } else {
                    outcome.unstorableRejects.append(i)
                }
            }
        }
        outcome.refusedSpectra.sort { $0.index < $1.index }
        outcome.sanitisedRejects.sort()
        outcome.unstorableRejects.sort()
        return outcome
    }

    /// Stores rejects only (e.g. those made of refused spectra), each refused one sanitised.
    /// Returns the indices of the rejects that could not be stored even sanitised.
    func storeRejects(_ rejects: [RejectRecord], modelVersion: Int) async throws -> Outcome {
        try await store(IngestBatch(spectra: [], probabilities: [], modelVersion: modelVersion, rejects: rejects))
    }

    /// Bisects `items` (which failed together with `error`) down to the single refused items.
    private func isolate(_ items: ArraySlice<Item>, in batch: IngestBatch, failedWith error: any Error,
                         _ outcome: inout Outcome) async throws -> [(Item, any Error)] {
        if items.count == 1 { return [(items.first!, error)] }
        let middle = items.startIndex + items.count / 2
        var refused: [(Item, any Error)] = []
        for half in [items[..<middle], items[middle...]] {
            if let error = try await attempt(subset(half, of: batch), &outcome) {
                refused += try await isolate(half, in: batch, failedWith: error, &outcome)
            }
        }
        return refused
    }

    private func subset(_ items: ArraySlice<Item>, of batch: IngestBatch) -> IngestBatch {
        var part = IngestBatch(spectra: [], probabilities: [], modelVersion: batch.modelVersion, rejects: [])
        for item in items {
            switch item {
            case .spectrum(let i):
                part.spectra.append(batch.spectra[i])
                part.probabilities.append(batch.probabilities[i])
            case .reject(let i): part.rejects.append(batch.rejects[i])
            }
        }
        return part
    }

    private func storeSanitised(_ reject: RejectRecord, modelVersion: Int, _ outcome: inout Outcome) async throws -> Bool {
        let clean = IngestBatch(spectra: [], probabilities: [], modelVersion: modelVersion, rejects: [reject.sanitised])
        guard let error = try await attempt(clean, &outcome) else { return true }
        logger.critical("the database refused even the sanitised reject row; only its dead letter remains", metadata: [
            "error": "\(error)", "key": "\(reject.sanitised.key)", "reason": "\(reject.sanitised.reason)",
        ])
        return false
    }

    /// Writes `batch`, retrying transient failures with back-off (0.2 s … 5 s); returns the
    /// permanent error, or `nil` when stored. Throws the transient error once a stop is requested.
    private func attempt(_ batch: IngestBatch, _ outcome: inout Outcome) async throws -> (any Error)? {
        var delay = 0.2
        while true {
            outcome.writes += 1
            do {
                try await write(batch)
                report(nil)
                return nil
            } catch {
                let errorClass = StoreErrorClass.of(error)
                if errorClass == .permanent { return error }
                report(error)
                if isStopping() { throw error }
                if errorClass == .systemic {
                    // Every row would fail alike (a grant, a table, a read-only server): wait for
                    // the operator instead of turning the batch into rejects; nothing is committed.
                    logger.critical("the database refuses every write; retrying until the deployment is fixed",
                                    metadata: ["error": "\(error)", "delay.s": "\(delay)"])
                    try? await Task.sleep(for: .seconds(delay))
                    delay = min(30, delay * 2)
                    continue
                }
                logger.error("retrying", metadata: ["operation": "store batch", "error": "\(error)", "delay.s": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
                delay = min(5, delay * 2)
            }
        }
    }
}
