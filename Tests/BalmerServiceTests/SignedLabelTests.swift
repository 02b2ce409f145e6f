import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerLabeling
import BalmerStore
import BalmerTestSupport
import Foundation
import Testing

/// A real balmerd with keys in `loop.labellers`: signed answers (in-process and from
/// `balmer label --answers --key`) are stored with their signature; unsigned, forged, altered and
/// unkeyed ones are refused with their codes; of two answers to a task the one received last
/// stands, whatever the labeller's clock said.
@Suite(.serialized) struct SignedLabelTests {
    @Test(.timeLimit(.minutes(4)))
    func signedAnswersAreStoredAndTheRestRefused() async throws {
        let directory = try temporaryDirectory("balmer-signed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let schema = DaemonHarness.unique("balmer_signed")
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { try? await DaemonHarness.dropSchema(schema) } }
        try await store.migrate()
        // Six pool spectra, each with an open task of an iteration the loop never reaches.
        let spectra = (0..<6).map { index in
            SpectrumRecord(key: SpectrumKey(survey: "LAMOST", release: "DR9", key: "signed-\(index)"), location: "/data/signed-\(index).fits",
                           features: (0..<140).map { Float(sin(Double($0 + index) / 9)) })
        }
        let ids = try await store.upsertSpectra(spectra)
        try await store.upsertTasks(ids.enumerated().map { index, id in
            TaskRecord(id: "t\(index)", batchID: "signed", iteration: 50, kind: .query, spectrumID: id, modelVersion: 1,
                       probabilities: [0.4, 0.3, 0.3], entropy: 1.08)
        })
        let spectrum = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ("t\($0.offset)", String($0.element)) })

        // Keys: ana's through the CLI (as a labeller would), bob's in-process; carol listed without one.
        let keygen = try await CommandRunner.balmer(["label", "keygen", "--labeller", "ana", "--out", directory + "/keys"])
        try #require(keygen.status == 0, "\(keygen.stderr)")
        let anaEntry = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(anaEntry.hasPrefix("ana:ed25519:") && anaEntry.count == "ana:ed25519:".count + 44, "\(keygen.stdout)")
        let anaPath = directory + "/keys/ana.ed25519"
        let ana = try LabelSigningKey(contentsOfFile: anaPath)
        #expect(ana.rosterEntry == anaEntry)
        let again = try await CommandRunner.balmer(["label", "keygen", "--labeller", "ana", "--out", directory + "/keys"])
        #expect(again.status != 0 && again.stderr.contains("exists; not replacing a key"), "\(again.stderr)")
        let bob = try LabelSigningKey.generate(labeller: "bob")
        let roster = [anaEntry, bob.rosterEntry, "carol"].joined(separator: ",")

        let cluster = try MockCluster(brokers: 1, logger: DaemonHarness.logger)
        for (topic, partitions) in [(BalmerTopic.spectra, 1), (BalmerTopic.tasks, 1), (BalmerTopic.labels, 2),
                                    (BalmerTopic.models, 1), (BalmerTopic.deadLetter, 1)] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        let daemon = try await DaemonProcess(
            brokers: cluster.bootstrapServers, schema: schema, model: DaemonHarness.writeModel(to: directory), logDirectory: directory,
            name: "signed", extra: ["--loop.labellers", roster, "--loop.settle-seconds", "86400", "--loop.interval-ms", "300"])
        defer { daemon.kill9() }

        func answer(_ task: String, _ label: String, by labeller: String, time: Date = Date(), comment: String? = nil) -> LabelEvent {
            LabelEvent(taskID: task, spectrumID: spectrum[task]!, label: label, labeller: labeller, time: time, comment: comment)
        }
        let producer = try DaemonHarness.producer(cluster)
        // Stored: ana's and bob's signed answers.
        _ = try await producer.send(LabelSignature.sign(answer("t0", "single", by: "ana"), with: ana))
        _ = try await producer.send(LabelSignature.sign(answer("t1", "double", by: "bob", comment: "blue peak | red peak"), with: bob))
        // unsigned-label: ana's name, no signature.
        _ = try await producer.send(answer("t2", "single", by: "ana"))
        // bad-signature: bob's signed answer claiming to be ana's; a key someone made for the name
        // ana; bob's answer altered after signing.
        var claimed = try LabelSignature.sign(answer("t2", "other", by: "bob"), with: bob)
        claimed.labeller = "ana"
        _ = try await producer.send(claimed)
        _ = try await producer.send(LabelSignature.sign(answer("t2", "other", by: "ana"), with: LabelSigningKey.generate(labeller: "ana")))
        var altered = try LabelSignature.sign(answer("t3", "single", by: "bob"), with: bob)
        altered.label = "other"
        _ = try await producer.send(altered)
        // unknown-labeller: carol (listed without a key) signing with her own key; dave (not listed).
        _ = try await producer.send(LabelSignature.sign(answer("t3", "other", by: "carol"), with: LabelSigningKey.generate(labeller: "carol")))
        _ = try await producer.send(LabelSignature.sign(answer("t3", "other", by: "dave"), with: LabelSigningKey.generate(labeller: "dave")))
        // Ordering: ana's first answer to t4 carries a clock a day ahead, her second the present;
        // both have key t4, so one partition: the second received stands.
        let ahead = Date().addingTimeInterval(86_400)
        _ = try await producer.send(LabelSignature.sign(answer("t4", "double", by: "ana", time: ahead), with: ana))
        _ = try await producer.send(LabelSignature.sign(answer("t4", "other", by: "ana"), with: ana))
        await producer.shutdown(timeout: .seconds(5))

        // balmer label --answers --key: answers t5 (never published as a task, so from its
        // spectrum_id after --wait); the campaign configuration lists the keys.
        let config = directory + "/balmer.json"
        try #"{"loop": {"labellers": "\#(roster)"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let csv = directory + "/answers.csv"
        try "task_id,label,comment,spectrum_id\nt5,double,from the file,\(spectrum["t5"]!)\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let cli = try await CommandRunner.balmer(["label", "--brokers", cluster.bootstrapServers, "--config", config, "--key", anaPath,
                                                  "--answers", csv, "--wait", "2", "--group", "signed-labellers"])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.contains("ana: answered 1 (single 0, double 1, other 0)"), "\(cli.stdout)")
        // Without --key, or with a key not listed for the name, balmer label refuses to start.
        let unsigned = try await CommandRunner.balmer(["label", "--brokers", cluster.bootstrapServers, "--config", config,
                                                       "--labeller", "ana", "--answers", csv])
        #expect(unsigned.status == 2 && unsigned.stderr.contains("loop.labellers lists keys, so balmerd refuses unsigned answers: give --key FILE"),
                "\(unsigned.stderr)")

        let settled = try await DaemonHarness.eventually(timeout: .seconds(90)) {
            let labels = try await DaemonHarness.count(store, "SELECT count(*) FROM labels WHERE task_id = 't5'")
            let rejects = try await DaemonHarness.count(store, "SELECT count(*) FROM rejects WHERE source = 'balmer.labels'")
            let t4 = try await DaemonHarness.count(store, "SELECT count(*) FROM labels WHERE task_id = 't4' AND label = 'other'")
            return labels == 1 && rejects == 6 && t4 == 1
        }
        #expect(settled, "\(daemon.log.suffix(3000))")

        let rows = try await store.pool.withConnection { c in
            try await c.query("SELECT task_id, labeller, label, signature, received_offset, labelled_at FROM labels ORDER BY task_id").rows.map {
                (task: try $0.decode(0, as: String.self), labeller: try $0.decode(1, as: String.self), label: try $0.decode(2, as: String.self),
                 signature: try $0.decode(3, as: String?.self), offset: try $0.decode(4, as: Int64?.self), time: try $0.decode(5, as: Date.self))
            }
        }
        #expect(rows.map(\.task) == ["t0", "t1", "t4", "t5"], "\(rows)")
        #expect(rows.map(\.labeller) == ["ana", "bob", "ana", "ana"])
        #expect(rows.map(\.label) == ["single", "double", "other", "double"])
        // Stored with their signatures, which verify with the roster's keys.
        let listed = try LabellerRoster(roster.split(separator: ",").map(String.init))
        for row in rows {
            let event = LabelEvent(taskID: row.task, spectrumID: spectrum[row.task]!, label: row.label, labeller: row.labeller,
                                   time: row.time, comment: row.task == "t1" ? "blue peak | red peak" : row.task == "t5" ? "from the file" : nil,
                                   signature: row.signature)
            #expect(row.signature != nil && row.offset != nil)
            #expect(listed.refusal(of: event) == nil, "\(row.task): \(String(describing: listed.refusal(of: event)))")
        }
        // The clock a day ahead lost: t4 holds the later-received answer and its own time.
        let t4 = try #require(rows.first { $0.task == "t4" })
        #expect(t4.time < ahead.addingTimeInterval(-3600))
        // Refusals with their codes, in rejects and on the dead-letter topic.
        let codes = try await store.pool.withConnection { c in
            try await c.query("SELECT reason, count(*) FROM rejects WHERE source = 'balmer.labels' GROUP BY reason ORDER BY reason").rows.map {
                "\(try $0.decode(0, as: String.self))=\(try $0.decode(1, as: Int.self))"
            }
        }
        #expect(codes == ["bad-signature=3", "unknown-labeller=2", "unsigned-label=1"])
        let deadLetters = try await deadLetterCodes(cluster, expect: 6)
        #expect(deadLetters.sorted() == ["bad-signature", "bad-signature", "bad-signature", "unknown-labeller", "unknown-labeller", "unsigned-label"])
        #expect(await daemon.terminate() == 0, "\(daemon.log.suffix(2000))")
    }

    /// The codes of the dead letters on the topic (polls until `expect` arrived, 30 s at most).
    func deadLetterCodes(_ cluster: MockCluster, expect: Int) async throws -> [String] {
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "dead-letters", groupID: "dead-\(UUID().uuidString.prefix(6))"),
            topics: [BalmerTopic.deadLetter], bufferCapacity: 100, logger: DaemonHarness.logger)
        var codes: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while codes.count < expect && ContinuousClock.now < deadline {
            for message in await consumer.poll(max: 100, timeout: .milliseconds(200)) {
                if let letter = try? message.decode(DeadLetterEvent.self) { codes.append(letter.code ?? "") }
            }
        }
        await consumer.close()
        return codes
    }
}
