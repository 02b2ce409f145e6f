import BalmerBus
import BalmerCore
import BalmerService
import BalmerStore
import BalmerDaemonTestSupport
import BalmerTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A small simulated campaign: a CCD700-like training set imported as initial labels with model
/// v1 trained on it, a LAMOST DR9-like release with its truth, the topics of the loop, and a
/// simulated oracle that answers tasks from the truth.
struct CampaignHarness {
    let directory: String
    let schema: String
    let store: PostgresStore
    let cluster: MockCluster
    /// Pool file name → true class.
    let truth: [String: SpectrumClass]
    let poolPaths: [String]

    /// The daemon options of a fast campaign (small batches, short trainings).
    static let loopOptions = [
        "--loop.batch-size", "20", "--loop.precision-sample", "10", "--loop.threshold", "0.8", "--loop.times", "2",
        "--loop.max-iterations", "4", "--loop.max-epochs", "3", "--loop.patience", "2", "--loop.final-max-epochs", "4",
        "--loop.final-patience", "2", "--loop.interval-ms", "300", "--loop.settle-seconds", "2",
        "--loop.rescore-chunk", "400", "--loop.max-per-plate", "0", "--loop.gate-margin", "0.5",
    ]

    static func make(pool: Int = 900, training: Int = 400) async throws -> CampaignHarness {
        let directory = try temporaryDirectory("balmer-campaign")
        let train = try await CommandRunner.balmer(["simulate", "--kind", "ccd700", "--count", "\(training)", "--seed", "3",
                                             "--out", directory + "/train", "--dataset-csv", directory + "/train.csv"])
        try #require(train.status == 0, "simulate training set: \(train.stderr)")
        let release = try await CommandRunner.balmer(["simulate", "--kind", "lamost-dr9", "--count", "\(pool)", "--seed", "4",
                                               "--mix", "single=0.08,double=0.04,other=0.88", "--out", directory + "/pool"])
        try #require(release.status == 0, "simulate release: \(release.stderr)")
        let truthText = try String(contentsOfFile: directory + "/pool/truth.csv", encoding: .utf8)
        var truth: [String: SpectrumClass] = [:]
        for line in truthText.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 1, let cls = SpectrumClass(rawValue: String(fields[1])) { truth[String(fields[0])] = cls }
        }
        try #require(truth.count == pool)
        let poolPaths = truth.keys.sorted().map { directory + "/pool/" + $0 }

        let schema = DaemonHarness.unique("balmer_campaign")
        let store = try DaemonHarness.store(schema: schema)
        try await store.migrate()
        // Initial labels: the training set as the Ondřejov dataset, scaled as on training load.
        let rows = try OndrejovDatasetCSV.read(contentsOf: directory + "/train.csv")
        let spectra = rows.map { row -> SpectrumRecord in
            var features = row.flux
            _ = FeatureScaling.minMax(&features)
            return SpectrumRecord(key: SpectrumKey(survey: "ondrejov", release: "initial", key: row.id),
                                  location: directory + "/train.csv#" + row.id, features: features)
        }
        let ids = try await store.upsertSpectra(spectra)
        try await store.upsertLabels(zip(ids, rows).map {
            LabelRecord(spectrumID: $0.0, label: $0.1.label, labeller: "dataset", source: .initial)
        })
        var options = StoreTraining.Options()
        options.maxEpochs = 4
        options.patience = 2
        options.threads = 2
        let examples = try await store.trainingSet()
        let model = try StoreTraining.train(examples, warmStart: nil, options: options, logger: DaemonHarness.logger)
        let version = try await store.registerTrainedModel(
            parent: nil, createdAt: model.info.created, trainingCounts: StoreTraining.counts(examples), metricsJSON: "{}",
            sha256: model.sha256, weights: Data(model.safetensorsBytes()), kind: .initial, iteration: 0, oracleLabels: 0)
        try await store.promoteModel(version: version, decision: "initial model")

        let cluster = try MockCluster(brokers: 1, logger: DaemonHarness.logger)
        for (topic, partitions) in [(BalmerTopic.spectra, 3), (BalmerTopic.tasks, 2), (BalmerTopic.labels, 2),
                                    (BalmerTopic.models, 1), (BalmerTopic.deadLetter, 1),
                                    (BalmerTopic.spectraRetry, 1)] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        return CampaignHarness(directory: directory, schema: schema, store: store, cluster: cluster, truth: truth,
                               poolPaths: poolPaths)
    }

    func daemon(_ name: String, extra: [String] = []) async throws -> DaemonProcess {
        try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: nil, logDirectory: directory,
                          name: name, extra: Self.loopOptions + extra)
    }

    func publishRelease() async throws {
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(poolPaths, release: "DR9-sim", producer: producer)
        await producer.shutdown(timeout: .seconds(5))
    }

    /// The true class of a task's spectrum (by file name).
    func truth(of task: TaskEvent) -> SpectrumClass? {
        truth[URL(fileURLWithPath: task.location).lastPathComponent]
    }

    func cleanUp() async {
        try? await DaemonHarness.dropSchema(schema)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Answers every task on `balmer.tasks` from the truth until cancelled (a labeller per group member).
final class SimulatedLabeller: Sendable {
    /// Task id → label, for every answer whose delivery was confirmed.
    final class Answers: Sendable {
        let state = Mutex<[String: String]>([:])
    }

    let answers = Answers()
    private let runner: Task<Void, Never>

    var answered: [String: String] { answers.state.withLock { $0 } }


    init(harness: CampaignHarness, name: String = "oracle", group: String = "labellers",
         answer: @escaping @Sendable (TaskEvent) -> SpectrumClass? = { _ in nil }) throws {
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: harness.cluster.bootstrapServers, clientID: name, groupID: group,
                                properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]),
            topics: [BalmerTopic.tasks], bufferCapacity: 1000, logger: DaemonHarness.logger)
        let producer = try DaemonHarness.producer(harness.cluster)
        let answers = self.answers
        runner = Task {
            while !Task.isCancelled {
                let messages = await consumer.poll(max: 100, timeout: .milliseconds(200))
                var offsets: [KafkaPartition: Int64] = [:]
                for message in messages {
                    offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? -1, message.offset)
                    guard let task = try? message.decode(TaskEvent.self),
                          let label = answer(task) ?? harness.truth(of: task) else { continue }
                    let event = LabelEvent(taskID: task.taskID, spectrumID: task.spectrumID, label: label.rawValue,
                                           labeller: name, time: Date())
                    if (try? await producer.send(event)) != nil { answers.state.withLock { $0[task.taskID] = label.rawValue } }
                }
                if !offsets.isEmpty { _ = try? await consumer.commit(offsets: offsets) }
            }
            await consumer.close()
            await producer.shutdown(timeout: .seconds(5))
        }
    }

    func stop() async {
        runner.cancel()
        await runner.value
    }
}
