import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

/// Every value reaches PostgreSQL as a parameter (or binary COPY), never as SQL text: hostile
/// strings go through the store paths the daemon uses (ingest batches, upserts, oracle answers,
/// label resolution, rejects) and come back verbatim, and no table is harmed.
@Suite struct HostileStringTests {
    static let hostile: [String] = [
        "'); DROP TABLE spectra; --",
        "' OR '1'='1",
        #"O'Brien "quoted" \ back\\slash \' \""#,
        "$1 $2 $$ $tag$ DROP TABLE labels $tag$ %s %d {} ?",
        "Ωμέγα 星 🚀 e\u{301} \u{202E}rtl \u{FEFF}bom",
        #"{"json": ["ish", 1, null], "k": "v'", "d": {"$1": "\\"}}"#,
        "E'\\x41'; SELECT pg_sleep(10); --",
        "line\nbreak\ttab\r\u{7F}",
        "*/ /* -- ;",
        String(repeating: "'\\\"", count: 85),
    ]
    /// A long comment at the events' free-text limit (4096 characters).
    static let longText = String(repeating: "'; DELETE FROM labels; -- ", count: 158).prefix(4096)

    @Test func hostileStringsRoundTripVerbatim() async throws {
        try await TestDatabase.withStore { store, _ in
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            try await store.activateModel(version: 1)

            // Spectra through the ingest batch (binary COPY + staging) and the plain upsert.
            let viaBatch = Self.hostile.enumerated().map { i, text in
                SpectrumRecord(key: SpectrumKey(survey: "LAMOST", release: text, key: text + "#\(i)"), ra: 1, dec: 2, mjd: 58000,
                               designation: text, location: "/data/" + text, features: Fixtures.features(i))
            }
            let rejects = Self.hostile.map { RejectRecord(source: $0, key: $0, reason: $0, payload: Data($0.utf8)) }
            let batchIDs = try await store.storeIngestBatch(IngestBatch(
                spectra: viaBatch, probabilities: viaBatch.indices.map(Fixtures.probabilities), modelVersion: 1, rejects: rejects))
            let viaUpsert = Self.hostile.enumerated().map { i, text in
                SpectrumRecord(key: SpectrumKey(survey: text, release: "DR9", key: "u\(i)"), designation: String(Self.longText),
                               location: text, features: Fixtures.features(100 + i))
            }
            let upsertIDs = try await store.upsertSpectra(viaUpsert)
            for (id, expected) in zip(batchIDs + upsertIDs, viaBatch + viaUpsert) {
                let stored = try #require(try await store.spectrum(id: id))
                #expect(stored.key == expected.key)
                #expect(stored.designation == expected.designation)
                #expect(stored.location == expected.location)
                #expect(try await store.spectrumID(for: expected.key) == id)
            }
            // Replaying the batch finds the same rows by their hostile natural keys.
            let replayed = try await store.storeIngestBatch(IngestBatch(
                spectra: viaBatch, probabilities: viaBatch.indices.map(Fixtures.probabilities), modelVersion: 1, rejects: rejects))
            #expect(replayed == batchIDs)

            // Rejects: source, key, reason and payload verbatim.
            try await store.recordRejects([RejectRecord(source: "ingest", key: String(Self.longText), reason: Self.hostile[0],
                                                        payload: Data(Self.longText.utf8))])
            let storedRejects = try await store.recentRejects(limit: 100)
            for reject in rejects {
                #expect(storedRejects.contains { $0.source == reject.source && $0.key == reject.key && $0.reason == reject.reason
                    && $0.payload == reject.payload }, "reject not verbatim: \(reject.key.prefix(40))")
            }
            #expect(storedRejects.contains { $0.key == String(Self.longText) && $0.payload == Data(Self.longText.utf8) })

            // Labels through the label ingestion path: tasks with hostile ids, answers with
            // hostile labellers and comments, a resolution with a hostile note.
            let tasks = Self.hostile.enumerated().map { i, text in
                TaskRecord(id: text + "#task\(i)", batchID: text, iteration: 0, kind: .query, spectrumID: batchIDs[i],
                           modelVersion: 1, probabilities: Fixtures.probabilities(i), entropy: 0.5)
            }
            try await store.upsertTasks(tasks)
            for (i, task) in tasks.enumerated() {
                #expect(try await store.task(id: task.id)?.batchID == task.batchID)
                let outcome = try await store.recordOracleAnswer(OracleAnswer(
                    taskID: task.id, spectrumID: String(batchIDs[i]), label: .double, labeller: Self.hostile[i],
                    time: Date(timeIntervalSince1970: 1_700_000_000), comment: i == 0 ? String(Self.longText) : Self.hostile[(i + 1) % Self.hostile.count]))
                #expect(outcome == .stored, "answer to \(task.id.prefix(40)): \(outcome)")
                let labels = try await store.labels(spectrumID: batchIDs[i])
                #expect(labels.count == 1)
                #expect(labels.first?.labeller == Self.hostile[i])
                #expect(labels.first?.taskID == task.id)
                #expect(labels.first?.comment == (i == 0 ? String(Self.longText) : Self.hostile[(i + 1) % Self.hostile.count]))
            }
            // An unknown hostile task id is refused with a reason, not run.
            let refused = try await store.recordOracleAnswer(OracleAnswer(
                taskID: "x'); DELETE FROM tasks; --", spectrumID: String(batchIDs[0]), label: .single, labeller: "ana", time: Date()))
            #expect(refused == .refused(code: "unknown-task", reason: "no task x'); DELETE FROM tasks; --"))
            _ = try await store.recordOracleAnswer(OracleAnswer(
                taskID: tasks[0].id, spectrumID: String(batchIDs[0]), label: .other, labeller: "bo'; --", time: Date()))
            try await store.resolveLabel(spectrumID: batchIDs[0], label: .other, by: Self.hostile[2], note: Self.hostile[5])
            let conflict = try await store.labelConflicts().first { $0.spectrumID == batchIDs[0] }
            #expect(conflict?.resolvedBy == Self.hostile[2])

            // Every table is still there, with every row.
            let counts = try await store.pool.withConnection { c in
                try await c.query("""
                    SELECT (SELECT count(*) FROM spectra), (SELECT count(*) FROM scores), (SELECT count(*) FROM tasks),
                           (SELECT count(*) FROM labels WHERE source = 'query'), (SELECT count(*) FROM models),
                           (SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema())
                    """).first.map { row in try (0..<6).map { try row.decode($0, as: Int.self) } }
            }
            let c = try #require(counts)
            #expect(c[0] == 2 * Self.hostile.count && c[1] == Self.hostile.count && c[2] == Self.hostile.count)
            #expect(c[3] == Self.hostile.count + 1 && c[4] == 1 && c[5] >= 6)
        }
    }
}
