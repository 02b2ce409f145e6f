import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerFITS
import BalmerStore
import Foundation
import Testing

/// Every hostile or unlucky input of the reliability table at once (the poison events of
/// ``PoisonEventTests``, the hostile locations of ``FileAccessIngestTests``, unreadable files, a
/// file that appears late, one that never does), first into one `balmerd`, then into two in one
/// consumer group. Each case must end as the table says (a reject with its code, or stored), a
/// good release published right after them must be stored in full within 30 s of publishing, and
/// consumed = stored + rejected + retried (+ dropped) over the instances. The table is printed
/// (and written to `BALMER_HOSTILE_REPORT` when set): the README's reliability section shows it.
@Suite(.serialized) struct HostileMatrixTests {
    /// One row of the table.
    struct Case {
        var name: String
        var key: [UInt8]
        var payload: [UInt8]
        /// The reject code it must get, or nil when it must be stored.
        var code: String?
        /// The spectrum key it is stored under (for the stored cases).
        var storedKey: String?
        var rejectKey: String { RejectKey.printable(key) }
    }

    struct Row {
        var name: String
        var expected: String
        var observed: [String]
    }

    static func cases(in dir: String) throws -> (good: [String], cases: [Case], root: String) {
        let (good, locations) = try FileAccessIngestTests.hostileLocations(in: dir, goodFiles: 40)
        let root = dir + "/data"
        var cases = PoisonEventTests.poisonCases(storePoisonLocation: good[0]).map {
            Case(name: Self.name(of: $0.key), key: $0.key, payload: $0.payload, code: $0.reason)
        }
        cases += locations.map { Case(name: "location: " + $0.key, key: Array($0.key.utf8), payload: FileAccessIngestTests.event($0.key, $0.location), code: $0.code) }
        // Unreadable and unlucky files.
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good[1])))
        try Data(gz.prefix(gz.count / 2)).write(to: URL(fileURLWithPath: root + "/truncated.fits.gz"))
        try Data(Array("SIMPLX".utf8) + [UInt8](repeating: 0x20, count: 2874)).write(to: URL(fileURLWithPath: root + "/not-fits.fits"))
        let short = Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: (0..<1500).map { pow(10, 3.5682 + 1e-4 * Double($0)) },
                             flux: [Double](repeating: 1000, count: 1500), inverseVariance: [Double](repeating: 1, count: 1500),
                             metadata: SpectrumMetadata(designation: "J0"))
        try SpectrumFileWriter().write(short, as: .lamostDR9, to: root + "/no-halpha.fits")
        let unlucky: [(String, String, String?)] = [
            ("truncated gzip", root + "/truncated.fits.gz", "truncated"),
            ("not FITS", root + "/not-fits.fits", "not-fits"),
            ("no H-alpha coverage", root + "/no-halpha.fits", "no-coverage"),
            ("missing file (never appears)", root + "/never.fits.gz", "missing"),
            ("late file (appears once the release is stored)", root + "/late.fits.gz", nil),
        ]
        for (i, item) in unlucky.enumerated() {
            let key = "unlucky-\(i)"
            cases.append(Case(name: item.0, key: Array(key.utf8), payload: FileAccessIngestTests.event(key, item.1), code: item.2,
                              storedKey: item.2 == nil ? key : nil))
        }
        let nfc = "nfc-caf" + "e\u{301}"
        cases.append(Case(name: "decomposed id (stored as NFC)", key: Array(nfc.utf8),
                          payload: Array(#"{"schema":1,"spectrum_id":"\#(nfc)","survey":"LAMOST","release":"DR9","location":"\#(good[2])"}"#.utf8),
                          code: nil, storedKey: "nfc-caf\u{E9}"))
        return (Array(good.dropFirst(3)), cases, root)
    }

    /// A short readable name for a poison key.
    static func name(of key: [UInt8]) -> String {
        let printable = RejectKey.printable(key)
        return printable.count > 24 ? String(printable.prefix(12)) + "…(\(key.count) bytes)" : printable
    }

    /// Runs every case into `instances` daemons; returns each case's outcome and the seconds the
    /// good release took to be stored.
    static func run(instances count: Int) async throws
        -> (cases: [(name: String, expected: String)], outcomes: [String: String], seconds: Double, problems: [String]) {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (good, cases, root) = try cases(in: dir)
        let staging = dir + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let late = try DaemonHarness.writeSpectra(count: 1, to: staging)
        let schema = DaemonHarness.unique("balmerd_matrix")
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        var daemons: [DaemonProcess] = []
        defer { for d in daemons { d.kill9() } }
        for i in 0..<count {
            daemons.append(try await DaemonProcess(
                brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "matrix-\(i)",
                extra: ["--loop.enabled", "false", "--ingest.data-roots", root, "--ingest.missing-grace-seconds", "20"]
                    + FileAccessIngestTests.capOptions))
        }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        for d in daemons { try #require(try await FileAccessIngestTests.started(d), "balmerd did not start:\n\(d.log.suffix(3000))") }
        try await store.pool.withConnection { c in
            try await c.query("ALTER TABLE spectra ADD CONSTRAINT test_no_poison CHECK (key <> 'store-poison')")
        }

        for item in cases { _ = try await producer.send(topic: BalmerTopic.spectra, key: item.key, value: item.payload) }
        let published = ContinuousClock.now
        try await DaemonHarness.publish(good, release: "DR9-good", producer: producer)
        let releaseStored = try await DaemonHarness.eventually(timeout: .seconds(30)) {
            try await DaemonHarness.count(store, "SELECT count(*) FROM spectra WHERE release = 'DR9-good'") == good.count
        }
        let took = (ContinuousClock.now - published).components
        let seconds = Double(took.seconds) + Double(took.attoseconds) * 1e-18
        var problems: [String] = []
        if !releaseStored { problems.append("the good release was not stored within 30 s") }
        try FileManager.default.moveItem(atPath: late[0], toPath: root + "/late.fits.gz")

        let rejects = cases.filter { $0.code != nil }.count
        let stored = good.count + cases.filter { $0.code == nil }.count
        let settled = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            let s = try await DaemonHarness.count(store, "SELECT count(*) FROM spectra")
            let r = try await DaemonHarness.count(store, "SELECT count(*) FROM rejects")
            return s == stored && r == rejects
        }
        if !settled { problems.append("not every case settled within 60 s") }
        let rows = try await store.pool.withConnection { c in
            try await c.query("SELECT key, reason FROM rejects").rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
        }
        let reasons = Dictionary(rows, uniquingKeysWith: { a, b in a + "+" + b })
        let keys = Set(try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra").rows.map { try $0.decode(0, as: String.self) }
        })
        var outcomes: [String: String] = [:]
        for item in cases {
            if let code = reasons[item.rejectKey] { outcomes[item.name] = "rejected: " + code }
            else if let key = item.storedKey, keys.contains(key) { outcomes[item.name] = "stored" }
            else { outcomes[item.name] = "nothing" }
        }
        var totals = (consumed: 0, stored: 0, rejected: 0, retried: 0, dropped: 0)
        for d in daemons {
            if await d.terminate() != 0 { problems.append("\(d.logPath): no clean exit") }
            let c = FileAccessIngestTests.finalCounters(d.log)
            totals.consumed += c["consumed"] ?? 0
            totals.stored += c["stored"] ?? 0
            totals.rejected += c["rejected"] ?? 0
            totals.retried += c["retried"] ?? 0
            totals.dropped += c["dropped"] ?? 0
        }
        if totals.consumed != totals.stored + totals.rejected + totals.retried + totals.dropped {
            problems.append("counters: \(totals)")
        }
        if totals.stored != stored || totals.rejected != rejects { problems.append("counters \(totals) vs stored \(stored), rejected \(rejects)") }
        return (cases.map { ($0.name, $0.code.map { "rejected: " + $0 } ?? "stored") }, outcomes, seconds, problems)
    }

    @Test func everyHostileInputOnOneAndTwoInstances() async throws {
        let one = try await Self.run(instances: 1)
        let two = try await Self.run(instances: 2)
        let cases = one.cases
        var table = "| input | expected | one instance | two instances |\n|---|---|---|---|\n"
        for (name, expected) in cases {
            table += "| \(name.replacingOccurrences(of: "|", with: "\\|")) | \(expected) | \(one.outcomes[name] ?? "-") | \(two.outcomes[name] ?? "-") |\n"
            #expect(one.outcomes[name] == expected, "one instance: \(name)")
            #expect(two.outcomes[name] == expected, "two instances: \(name)")
        }
        table += String(format: "| good release of 37 spectra published right after | stored within 30 s | %.1f s | %.1f s |\n",
                        one.seconds, two.seconds)
        print(table)
        if let path = ProcessInfo.processInfo.environment["BALMER_HOSTILE_REPORT"], !path.isEmpty {
            try table.write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(cases.count >= 20)
        #expect(one.problems.isEmpty, "\(one.problems)")
        #expect(two.problems.isEmpty, "\(two.problems)")
    }
}
