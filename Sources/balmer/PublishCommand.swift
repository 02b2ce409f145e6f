import ArgumentParser
import BalmerBus
import BalmerFITS
import Foundation
import Logging

/// `balmer publish`: announces a release, one `balmer.spectra` event per FITS file.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Announce a data release on Kafka: one balmer.spectra event per FITS file.",
        discussion: """
            Inputs are FITS files, folders (searched recursively for .fits/.fit[.gz]) or text files \
            listing one path per line (blank lines and lines starting with # are skipped). The spectrum \
            id is the file name without its .fits/.fit/.gz extensions; the location is the absolute path. \
            Waits for every delivery report; exits 1 if any event could not be delivered.
            """)

    @Option(help: "Bootstrap servers host:port,… (default: $BALMER_KAFKA_BROKERS).")
    var brokers: String?

    @OptionGroup var kafka: KafkaClientOptions

    @Option(help: "Release name, e.g. DR9.")
    var release: String

    @Option(help: "Survey name.")
    var survey: String = "LAMOST"

    @Option(help: "Topic to publish to.")
    var topic: String = BalmerTopic.spectra

    @Option(name: .customLong("max-in-flight"), help: "Events awaiting delivery at once.")
    var maxInFlight: Int = 5000

    @Option(help: "Seconds a message may wait for delivery before it counts as failed.")
    var timeout: Int = 300

    @Argument(help: "FITS files, folders of them, or list files.")
    var inputs: [String]

    var resolvedBrokers: String? { brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"] }

    func validate() throws {
        guard let resolvedBrokers, !resolvedBrokers.isEmpty else { throw ValidationError("give --brokers or set BALMER_KAFKA_BROKERS") }
        guard !inputs.isEmpty else { throw ValidationError("give at least one file, folder or list") }
        var check = EventValidator(event: "publish", limits: .default)
        check.identifier(release, "--release")
        check.identifier(survey, "--survey")
        if let failure = check.failure { throw ValidationError(failure.description) }
        guard TopicSpec.isValidName(Substring(topic)) else { throw ValidationError("--topic is not a valid topic name") }
        guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("no such file or folder: \(input)")
        }
    }

    func run() async throws {
        let files = try Self.files(from: inputs)
        var logger = Logger(label: "balmer.publish", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        let producer = try KafkaProducer(
            config: KafkaConfig(bootstrapServers: resolvedBrokers ?? "", clientID: "balmer-publish",
                                properties: ["message.timeout.ms": "\(timeout * 1000)", "linger.ms": "20"]
                                    .merging(try kafka.properties(command: "publish")) { $1 }),
            logger: logger)
        let (delivered, failures) = await publish(files, producer: producer)
        await producer.shutdown(timeout: .seconds(timeout))
        print("published \(delivered) of \(files.count) events to \(topic) (survey \(survey), release \(release))")
        if !failures.isEmpty {
            FileHandle.standardError.write(Data("balmer publish: \(failures.count) events were not delivered; first: \(failures[0])\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Sends one event per file with at most `maxInFlight` awaiting delivery.
    private func publish(_ files: [String], producer: KafkaProducer) async -> (delivered: Int, failures: [String]) {
        await withTaskGroup(of: String?.self) { group in
            var delivered = 0
            var failures: [String] = []
            func record(_ failure: String?) {
                if let failure { failures.append(failure) } else { delivered += 1 }
            }
            var inFlight = 0
            for path in files {
                if inFlight >= maxInFlight, let outcome = await group.next() {
                    record(outcome)
                    inFlight -= 1
                }
                let event = SpectrumEvent(spectrumID: Self.spectrumID(path), survey: survey, release: release, location: path)
                group.addTask { [topic] in
                    do {
                        try await producer.send(event, topic: topic)
                        return nil
                    } catch {
                        return "\(path): \(error)"
                    }
                }
                inFlight += 1
            }
            for await outcome in group { record(outcome) }
            return (delivered, failures)
        }
    }

    /// Expands folders and list files into absolute FITS paths.
    static func files(from inputs: [String]) throws -> [String] {
        var result: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
            if !exists || isDirectory.boolValue || SpectrumFiles.isSpectrumFile(input) {
                result += SpectrumFiles.expand([input])
            } else {
                let text = try String(contentsOfFile: input, encoding: .utf8)
                let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                result += SpectrumFiles.expand(lines.filter { !$0.isEmpty && !$0.hasPrefix("#") })
            }
        }
        let cwd = FileManager.default.currentDirectoryPath
        return result.map { path in
            URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        }
    }

    /// The file name without `.gz` and `.fits`/`.fit`.
    static func spectrumID(_ path: String) -> String {
        var name = Substring((path as NSString).lastPathComponent)
        for suffix in [".gz", ".fits", ".fit"] where name.lowercased().hasSuffix(suffix) {
            name = name.dropLast(suffix.count)
        }
        return String(name)
    }
}
