import ArgumentParser
import BalmerBus
import Foundation
import Logging
import Synchronization

/// `balmer kafka`: Kafka helpers for development and operations.
struct KafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Host a mock Kafka cluster; create topics, show and move consumer group offsets on a real one.",
        subcommands: [KafkaMockCommand.self, KafkaCreateTopicsCommand.self, KafkaOffsetsCommand.self,
                       KafkaResetOffsetsCommand.self])
}

/// `balmer kafka mock`: librdkafka's mock cluster in the foreground until SIGINT/SIGTERM.
struct KafkaMockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock",
        abstract: "Run a mock Kafka cluster on loopback; the first stdout line is bootstrap.servers=host:port,…")

    @Option(help: "Number of brokers.")
    var brokers: Int = 3

    @Option(help: "Topics to create, NAME:PARTITIONS,… (default: Balmer's topics).")
    var topics: String = BalmerTopic.defaults.map(\.description).joined(separator: ",")

    @Option(help: "Replication factor of the created topics (≤ brokers).")
    var replication: Int = 1

    @Flag(help: "Log librdkafka's mock broker messages to stderr.")
    var verbose = false

    func validate() throws {
        guard (1...64).contains(brokers) else { throw ValidationError("--brokers must be 1...64") }
        guard TopicSpec.parseList(topics) != nil else { throw ValidationError("--topics must look like name:partitions,name:partitions") }
        guard (1...brokers).contains(replication) else { throw ValidationError("--replication must be 1...\(brokers)") }
    }

    func run() async throws {
        var logger = Logger(label: "balmer.kafka.mock", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .debug : .error
        // Signals are taken over before the cluster exists, so none is lost.
        let stop = SignalWaiter(signals: [SIGINT, SIGTERM])
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        try cluster.createTopics(TopicSpec.parseList(topics) ?? [], replicationFactor: replication)
        // Unbuffered, so a parent process reading the pipe sees the line at once.
        FileHandle.standardOutput.write(Data("bootstrap.servers=\(cluster.bootstrapServers)\n".utf8))
        FileHandle.standardError.write(Data("balmer kafka mock: \(brokers) brokers, topics \(topics); stop with Ctrl-C or SIGTERM\n".utf8))
        let signal = await stop.wait()
        cluster.shutdown()
        FileHandle.standardError.write(Data("balmer kafka mock: stopped on signal \(signal)\n".utf8))
    }
}

/// `balmer kafka create-topics`: creates Balmer's topics through the admin API.
struct KafkaCreateTopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-topics",
        abstract: "Create Balmer's topics on a real Kafka cluster (existing topics are left alone).")

    @Option(help: "Bootstrap servers host:port,… (default: $BALMER_KAFKA_BROKERS).")
    var brokers: String?

    @OptionGroup var kafka: KafkaClientOptions

    @Option(help: "Topics, NAME:PARTITIONS,… (default: Balmer's topics).")
    var topics: String = BalmerTopic.defaults.map(\.description).joined(separator: ",")

    @Option(help: "Partitions for every topic, overriding the per-topic counts.")
    var partitions: Int?

    @Option(help: "Replication factor (-1: the broker default).")
    var replication: Int = -1

    @Option(help: "Seconds to wait for the cluster.")
    var timeout: Int = 30

    var resolvedBrokers: String? { brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"] }

    func validate() throws {
        guard let resolvedBrokers, !resolvedBrokers.isEmpty else { throw ValidationError("give --brokers or set BALMER_KAFKA_BROKERS") }
        guard TopicSpec.parseList(topics) != nil else { throw ValidationError("--topics must look like name:partitions,name:partitions") }
        if let partitions, !(1...10_000).contains(partitions) { throw ValidationError("--partitions must be 1...10000") }
        guard replication == -1 || (1...100).contains(replication) else { throw ValidationError("--replication must be -1 or 1...100") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        var specs = TopicSpec.parseList(topics) ?? []
        if let partitions { specs = specs.map { TopicSpec(name: $0.name, partitions: partitions) } }
        var logger = Logger(label: "balmer.kafka.admin", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        let properties = try kafka.properties(command: "kafka create-topics")
        let outcomes: [String: KafkaAdmin.TopicOutcome]
        do {
            outcomes = try await KafkaAdmin.createTopics(
                config: KafkaConfig(bootstrapServers: resolvedBrokers ?? "", clientID: "balmer-admin", properties: properties),
                topics: specs, replicationFactor: replication, timeout: .seconds(timeout), logger: logger)
        } catch {
            FileHandle.standardError.write(Data("balmer kafka create-topics: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var failures = 0
        for spec in specs {
            switch outcomes[spec.name] {
            case .created: print("created \(spec)")
            case .alreadyExists: print("exists  \(spec.name)")
            case .failed(let error):
                failures += 1
                FileHandle.standardError.write(Data("balmer kafka create-topics: \(spec.name): \(error)\n".utf8))
            case nil:
                failures += 1
                FileHandle.standardError.write(Data("balmer kafka create-topics: \(spec.name): no result\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Waits for the first of some signals (their default action is disabled while it lives).
/// `@unchecked Sendable`: `sources` is written once in `init`; the continuation sits in a Mutex.
final class SignalWaiter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let state = Mutex<(received: Int32?, continuation: CheckedContinuation<Int32, Never>?)>((nil, nil))

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func deliver(_ number: Int32) {
        let continuation = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            if state.received == nil { state.received = number }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: number)
    }

    /// The first signal received (returns at once if one arrived already).
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let received = state.withLock { state -> Int32? in
                if let received = state.received { return received }
                state.continuation = continuation
                return nil
            }
            if let received { continuation.resume(returning: received) }
        }
    }
}
