import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerStore
import Foundation
import Testing

/// No record can stop a partition: a stream mixing good events with every kind of poison (NUL
/// bytes, over-long and invalid-UTF-8 keys, identifiers short in Characters but long in bytes,
/// C1 controls, a ~760 kB garbage payload, a row the database itself refuses) goes through a real
/// `balmerd`; the good events, including a release published right after, are stored within 30 s,
/// every poison event is a `rejects` row with its reason and a dead letter, and
/// consumed = stored + rejected.
@Suite(.serialized) struct PoisonEventTests {
    /// A `balmer.spectra` payload with `id` and `location` inserted verbatim (JSON escapes allowed).
    static func event(id: String, location: String = "/x.fits", extra: String = "") -> [UInt8] {
        Array(#"{"schema":1,"spectrum_id":"\#(id)","survey":"LAMOST","release":"DR9","location":"\#(location)"\#(extra)}"#.utf8)
    }

    struct Poison {
        var key: [UInt8]
        var payload: [UInt8]
        var reason: String
        var source = BalmerTopic.spectra
        /// The `rejects.key` the poison must end up under.
        var rejectKey: String { RejectKey.printable(key) }
    }

    /// Every poison class: NUL in the key, the id, the location and the designation; an over-long
    /// key; ids long in bytes (plain and as combining marks); an invalid-UTF-8 key; a C1 control;
    /// ~760 kB of garbage; and an event that passes the door but that a constraint the test adds
    /// (`CHECK (key <> 'store-poison')`) refuses, pointing at the good file `storePoisonLocation`.
    static func poisonCases(storePoisonLocation: String) -> [Poison] {
        let heavy = String(repeating: "e\u{301}\u{301}\u{301}", count: 60)  // 60 Characters, 360 bytes even as NFC
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<760_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return [
            Poison(key: Array("nul\u{0}in-key".utf8), payload: Array("{not json".utf8), reason: "malformed_json"),
            Poison(key: Array("nul-id".utf8), payload: Self.event(id: #"a\u0000b"#), reason: "invalid_value"),
            Poison(key: Array("nul-location".utf8), payload: Self.event(id: "nul-location", location: #"/data/x\u0000.fits"#),
                   reason: "invalid_value"),
            Poison(key: Array("nul-designation".utf8), payload: Self.event(id: "nul-designation", extra: #","designation":"J\u0000""#),
                   reason: "invalid_value"),
            Poison(key: Array(String(repeating: "k", count: 3000).utf8),
                   payload: Array(#"{"spectrum_id":"x","survey":"LAMOST","release":"DR9","location":"/x"}"#.utf8), reason: "missing_schema"),
            Poison(key: Array("long-id".utf8), payload: Self.event(id: String(repeating: "i", count: 3000)), reason: "invalid_value"),
            Poison(key: Array("heavy-id".utf8), payload: Self.event(id: heavy), reason: "invalid_value"),
            Poison(key: [0x62, 0x61, 0x64, 0xff, 0xfe, 0xc3], payload: Array(#"{"schema":42}"#.utf8), reason: "unsupported_schema"),
            Poison(key: Array("c1-id".utf8), payload: Self.event(id: #"c1\u0085id"#), reason: "invalid_value"),
            Poison(key: Array("garbage".utf8), payload: garbage, reason: "malformed_json"),
            // Passes the door; refused by a constraint this test adds to its schema (any value the
            // database refuses for good): isolated by bisection, the rest of its batch is stored.
            Poison(key: Array("store-poison".utf8), payload: Self.event(id: "store-poison", location: storePoisonLocation),
                   reason: "store-refused", source: "ingest"),
        ]
    }

    @Test func poisonEventsCannotStopAPartition() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_poison2")
        let good = try DaemonHarness.writeSpectra(count: 16, to: dir)
        let first = Array(good.prefix(6)), release = Array(good.dropFirst(6).prefix(8))
        let poison = Self.poisonCases(storePoisonLocation: good[14])
        let garbage = poison.first { $0.key == Array("garbage".utf8) }!.payload
        // Decomposed "é": stored as NFC.
        let nfcID = "nfc-caf" + "e\u{301}"
        let nfcEvent = SpectrumEvent(spectrumID: nfcID, survey: "LAMOST", release: "DR9", location: good[15])

        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "poison",
                                       extra: ["--loop.enabled", "false"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        // Once balmerd has migrated the schema, the test's own constraint.
        let migrated = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            guard daemon.process.isRunning else { return true }
            return (try? await DaemonHarness.count(store, "SELECT count(*) FROM models WHERE status = 'active'")) == 1
        }
        try #require(migrated && daemon.process.isRunning, "balmerd did not start:\n\(daemon.log.suffix(3000))")
        try await store.pool.withConnection { c in
            try await c.query("ALTER TABLE spectra ADD CONSTRAINT test_no_poison CHECK (key <> 'store-poison')")
        }

        // Good events, the poison between them, then a release right after.
        try await DaemonHarness.publish(first, release: "DR9", producer: producer)
        for item in poison { _ = try await producer.send(topic: BalmerTopic.spectra, key: item.key, value: item.payload) }
        try await producer.send(nfcEvent)
        let published = ContinuousClock.now
        try await DaemonHarness.publish(release, release: "DR9", producer: producer)
        let storedExpected = first.count + release.count + 1
        let done = try await DaemonHarness.ingested(stored: storedExpected, rejected: poison.count, by: daemon, into: store,
                                                    timeout: .seconds(30))
        #expect(done && daemon.process.isRunning, "not everything within 30 s of publishing:\n\(daemon.log.suffix(4000))")
        #expect(ContinuousClock.now - published < .seconds(31))

        // Every poison event: a rejects row under its printable key, with its reason and source.
        let rows = try await store.pool.withConnection { c in
            try await c.query("SELECT source, key, reason, octet_length(payload) FROM rejects").rows.map {
                (source: try $0.decode(0, as: String.self), key: try $0.decode(1, as: String.self),
                 reason: try $0.decode(2, as: String.self), bytes: try $0.decode(3, as: Int.self))
            }
        }
        #expect(rows.count == poison.count)
        for item in poison {
            let row = rows.first { $0.key == item.rejectKey }
            #expect(row?.reason == item.reason && row?.source == item.source,
                    "\(item.rejectKey.prefix(40)): \(row.map { "\($0)" } ?? "no rejects row")")
        }
        #expect(rows.allSatisfy { $0.key.utf8.count <= RejectKey.maxBytes && !$0.key.unicodeScalars.contains(where: RejectKey.isControl) })
        #expect(rows.first { $0.key == "garbage" }?.bytes == garbage.count, "760 kB is below the 1 MiB cap: kept whole")

        // Good events stored (the decomposed id as NFC), none of the poison.
        let keys = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra").rows.map { try $0.decode(0, as: String.self) }
        }
        #expect(keys.count == storedExpected)
        #expect(keys.contains { Array($0.utf8) == Array("nfc-caf\u{E9}".utf8) }, "\(keys)")
        #expect(!keys.contains("store-poison"))
        let version = try #require(try await store.activeModel()).version
        #expect(try await store.scoreCount(modelVersion: version) == storedExpected)

        // One dead letter per poison event, with its code; the garbage one truncated with its digest.
        let dlq = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, groupID: DaemonHarness.unique("dlq")),
            topics: [BalmerTopic.deadLetter], logger: DaemonHarness.logger)
        var letters: [DeadLetterEvent] = []
        _ = try await DaemonHarness.eventually(timeout: .seconds(20)) {
            letters += try await dlq.poll(max: 50, timeout: .milliseconds(300)).map { try $0.decode(DeadLetterEvent.self) }
            return letters.count >= poison.count
        }
        await dlq.close()
        #expect(letters.count == poison.count)
        for item in poison {
            let letter = letters.first { $0.originalKey == item.rejectKey }
            #expect(letter?.code == item.reason, "\(item.rejectKey.prefix(40)): \(letter.map { "\($0.code ?? "")" } ?? "no letter")")
        }
        let big = try #require(letters.first { $0.originalKey == "garbage" })
        #expect(big.truncated == true && big.originalPayloadBytes == garbage.count && big.originalPayloadSHA256 == SHA256.hex(garbage))
        #expect(big.originalPayload == Array(garbage.prefix(DeadLetterEvent.maxPayloadBytes)))
        let refused = try #require(letters.first { $0.originalKey == "store-poison" })
        #expect(refused.reason.contains("23514"), "\(refused.reason)")

        // No permanent error was ever retried; consumed = stored + rejected.
        let retries = daemon.log.split(separator: "\n").filter { $0.contains("retrying") }
        #expect(retries.isEmpty, "\(retries.prefix(5).joined(separator: "\n"))")
        #expect(await daemon.terminate() == 0)
        let final = try #require(daemon.log.split(separator: "\n").last { $0.contains("ingest stopped") })
        func value(_ name: String) -> Int? {
            guard let range = final.range(of: "\(name)=") else { return nil }
            return Int(final[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(value("consumed") == storedExpected + poison.count, "\(final)")
        #expect(value("stored") == storedExpected && value("rejected") == poison.count, "\(final)")
    }
}
