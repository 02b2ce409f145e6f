import BalmerCore
import BalmerDaemonTestSupport
import BalmerStore
import Foundation
import Logging
import Synchronization
import Testing
@testable import BalmerService

/// The ingest write path against a real PostgreSQL schema: a row the database refuses is
/// isolated by bisection while the rest of its batch is stored, and transient errors are retried.
@Suite struct BatchIsolationTests {
    static func spectrum(_ key: String) -> SpectrumRecord {
        SpectrumRecord(key: SpectrumKey(survey: "LAMOST", release: "DR9", key: key), location: "/data/\(key).fits",
                       features: (0..<SpectrumRecord.featureCount).map { Float($0) / 140 })
    }

    static func migratedStore() async throws -> (PostgresStore, String) {
        let schema = DaemonHarness.unique("balmer_isolation")
        let store = try DaemonHarness.store(schema: schema)
        try await store.migrate()
        try await store.registerModel(ModelRecord(version: 1, sha256: String(repeating: "0", count: 64)), weights: Data([1]))
        return (store, schema)
    }

    @Test func refusedRowsAreIsolatedAndTheRestIsStored() async throws {
        let (store, schema) = try await Self.migratedStore()
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        // A constraint of this test's schema stands for any value the database refuses for good.
        try await store.pool.withConnection { c in
            try await c.query("ALTER TABLE spectra ADD CONSTRAINT no_poison CHECK (key NOT LIKE 'poison%')")
            try await c.query("ALTER TABLE rejects ADD CONSTRAINT no_bad_reject CHECK (key <> 'unstorable')")
            try await c.query("ALTER TABLE rejects ADD CONSTRAINT no_raw_reject CHECK (key <> 'raw-refused')")
        }
        let keys = (0..<37).map { i in [5, 20, 21].contains(i) ? "poison-\(i)" : "good-\(i)" }
        let rejects = [
            RejectRecord(source: "balmer.spectra", key: "bad-json", reason: "malformed_json", payload: Data("{".utf8)),
            RejectRecord(source: "balmer.spectra", key: "raw-refused", reason: "malformed_json", payload: Data("[".utf8)),
        ]
        let batch = IngestBatch(spectra: keys.map(Self.spectrum), probabilities: keys.map { _ in [0.2, 0.3, 0.5] },
                                modelVersion: 1, rejects: rejects)
        let writes = Mutex(0)
        let isolation = BatchIsolation(write: { batch in
            writes.withLock { $0 += 1 }
            try await store.storeIngestBatch(batch)
        }, isStopping: { false }, logger: DaemonHarness.logger)
        let outcome = try await isolation.store(batch)

        #expect(outcome.refusedSpectra.map(\.index) == [5, 20, 21])
        #expect(outcome.refusedSpectra.allSatisfy { $0.sqlState == "23514" })
        #expect(outcome.sanitisedRejects == [] && outcome.unstorableRejects == [1])
        #expect(outcome.writes == writes.withLock { $0 } && outcome.writes > 1 && outcome.writes < 40)
        let stored = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra ORDER BY key").rows.map { try $0.decode(0, as: String.self) }
        }
        #expect(stored == keys.filter { $0.hasPrefix("good") }.sorted())
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM scores") == 34)
        // The refused reject's sanitised form has the same (printable) key, refused again: not stored, reported.
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM rejects WHERE key = 'bad-json'") == 1)

        // The refused spectra as rejects (what the pipeline does next): stored, one refused even sanitised.
        let more = [
            RejectRecord(source: "ingest", key: "poison-5", reason: BatchIsolation.refusedReason, payload: Data("{}".utf8)),
            RejectRecord(source: "ingest", key: "unstorable", reason: BatchIsolation.refusedReason, payload: Data("{}".utf8)),
            RejectRecord(source: "ingest", key: "nul\u{0}key", reason: BatchIsolation.refusedReason, payload: Data("{}".utf8)),
        ]
        let second = try await isolation.storeRejects(more, modelVersion: 1)
        #expect(second.unstorableRejects == [1])
        #expect(second.sanitisedRejects == [2])  // NUL in the key: 22021, stored with the printable key
        let rejectKeys = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM rejects WHERE source = 'ingest' ORDER BY key").rows.map { try $0.decode(0, as: String.self) }
        }
        #expect(rejectKeys == ["nul\\u{0}key…#sha256:" + String(SHA256.hex(Array("nul\u{0}key".utf8)).prefix(16)), "poison-5"])

        // Replaying the whole batch changes nothing and isolates the same rows.
        let replay = try await isolation.store(batch)
        #expect(replay.refusedSpectra.map(\.index) == [5, 20, 21])
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra") == 34)
    }

    @Test func transientErrorsAreRetriedAndPermanentOnesAreNot() async throws {
        let calls = Mutex(0)
        let flaky = BatchIsolation(write: { _ in
            let n = calls.withLock { $0 += 1; return $0 }
            if n <= 2 { throw PostgresError(.statement, sqlState: "40P01", message: "deadlock detected") }
        }, isStopping: { false }, logger: DaemonHarness.logger)
        let batch = IngestBatch(spectra: [Self.spectrum("a"), Self.spectrum("b")], probabilities: [[1, 0, 0], [1, 0, 0]],
                                modelVersion: 1, rejects: [])
        let outcome = try await flaky.store(batch)
        #expect(calls.withLock { $0 } == 3 && outcome.refusedSpectra.isEmpty && outcome.writes == 3)

        // A permanent error on every row: each one is reported, never retried in place.
        let refusing = BatchIsolation(write: { _ in
            throw PostgresError(.statement, sqlState: "54000", message: "index row size exceeds btree version 4 maximum")
        }, isStopping: { false }, logger: DaemonHarness.logger)
        let refused = try await refusing.store(batch)
        #expect(refused.refusedSpectra.map(\.index) == [0, 1] && refused.writes == 3)

        // A systemic error (a missing grant) rejects nothing: it is retried, and reported, until fixed.
        let denials = Mutex(0)
        let reports = Mutex<[Bool]>([])
        var ungranted = BatchIsolation(write: { _ in
            let n = denials.withLock { $0 += 1; return $0 }
            if n <= 2 { throw PostgresError(.statement, sqlState: "42501", message: "permission denied for table spectra") }
        }, isStopping: { false }, logger: DaemonHarness.logger)
        ungranted.report = { error in reports.withLock { $0.append(error == nil) } }
        let granted = try await ungranted.store(batch)
        #expect(granted.refusedSpectra.isEmpty && granted.writes == 3)
        #expect(reports.withLock { $0 } == [false, false, true], "two failures then a success reported")

        // Transient errors give up once a stop is requested.
        let stopping = BatchIsolation(write: { _ in throw PostgresError(.connectionLost, message: "server closed the connection") },
                                      isStopping: { true }, logger: DaemonHarness.logger)
        await #expect(throws: PostgresError.self) { _ = try await stopping.store(batch) }
    }
}
