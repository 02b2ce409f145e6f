import ArgumentParser
import BalmerCNN
import BalmerCore
import BalmerService
import BalmerStore
import Foundation
import Logging

/// `balmer model list|promote|rollback`: the model registry in the store.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "List, promote and roll back the models of the registry.",
        discussion: """
            Every balmerd instance follows the registry's active model within loop.interval-ms; with \
            --brokers (or BALMER_KAFKA_BROKERS) a promotion or rollback is also announced on \
            balmer.models so instances swap at once.
            """,
        subcommands: [List.self, Promote.self, Rollback.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every model with its lineage, status, decision and key metrics, oldest first.")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print one JSON object per model (one per line).") var json = false

        func run() async throws {
            let entries = try await ModelStore.run(database, migrate: false) { try await $0.modelEntries() }
            if json {
                for entry in entries { print(ModelJSON.text(ModelListing.object(entry))) }
                return
            }
            guard !entries.isEmpty else {
                print("no models: train one with `balmer train --database` or register a file with `balmer model promote --file`")
                return
            }
            print(ModelListing.table(entries))
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a registered model (or a model file, registered as kind `file`) the active one.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var announce: ModelAnnouncementOptions
        @Argument(help: "Registered model version.") var version: Int?
        @Option(help: "Register this .safetensors model file (kind `file`) and promote it.") var file: String?
        @Option(help: "Why (kept as the model's decision).") var reason: String?

        func validate() throws {
            guard (version == nil) != (file == nil) else {
                throw ValidationError("give a model VERSION or --file MODEL.safetensors (one of them)")
            }
            if let version, version < 1 { throw ValidationError("VERSION must be positive") }
        }

        func run() async throws {
            let loaded = try file.map(ModelFileCheck.load)
            let who = ModelStore.operatorName
            let note = reason.map { ": \($0)" } ?? ""
            let (entry, already) = try await ModelStore.run(database, migrate: true) { store -> (ModelEntry, Bool) in
                let active = try await store.activeEntry()
                let target: Int
                if let loaded, let file {
                    // The file's bytes are the weights: loading verified them against their checksum.
                    let weights: Data
                    do { weights = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                        throw CLIFailure(2, "cannot read \(file): \(error.localizedDescription)")
                    }
                    target = try await store.registerTrainedModel(
                        parent: active?.version, createdAt: loaded.model.info.created, trainingCounts: [:],
                        metricsJSON: ModelFileCheck.metricsJSON(loaded.model, file: file), sha256: loaded.sha256,
                        weights: weights, kind: .file, iteration: nil, oracleLabels: 0)
                } else {
                    target = version!
                }
                guard let entry = try await store.modelEntry(version: target) else {
                    throw CLIFailure(2, "no model \(target) in the registry (see `balmer model list`)")
                }
                if entry.record.status == .active { return (entry, true) }
                let source = file.map { " from \(($0 as NSString).lastPathComponent)" } ?? ""
                try await store.promoteModel(version: target, decision: "promoted by \(who)\(source)\(note)")
                return (try await store.modelEntry(version: target) ?? entry, false)
            }
            if already {
                print("model \(entry.version) is already active")
                return
            }
            print("model \(entry.version) (\(entry.kind.rawValue)) is active; rescoring of the pool starts on the next loop tick")
            await announce.announce(entry)
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire the active model and restore the previously promoted one (its parent, else the newest earlier promotion).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var announce: ModelAnnouncementOptions
        @Option(help: "Why (kept as the rolled-back model's decision).") var reason: String?

        func run() async throws {
            let reason = reason ?? "operator rollback by \(ModelStore.operatorName)"
            let (from, restored) = try await ModelStore.run(database, migrate: true) { store -> (Int, ModelEntry) in
                let (from, to) = try await store.rollbackModel(reason: reason)
                guard let restored = try await store.modelEntry(version: to) else {
                    throw CLIFailure(1, "model \(to) vanished during the rollback")
                }
                return (from, restored)
            }
            print("rolled back model \(from) (\(reason)); model \(restored.version) (\(restored.kind.rawValue)) is active again")
            await announce.announce(restored)
        }
    }
}

/// Opening the store for the operator commands, with errors as one readable line.
enum ModelStore {
    /// Who runs the command: `$BALMER_OPERATOR`, else `$USER`, else `operator`.
    static var operatorName: String {
        let env = ProcessInfo.processInfo.environment
        return env["BALMER_OPERATOR"] ?? env["USER"] ?? "operator"
    }

    /// Runs `body` on a store with one connection (migrated first when `migrate`), closes it, and
    /// turns store errors into ``CLIFailure`` (1; 2 for a missing record).
    static func run<T: Sendable>(
        _ options: DatabaseOptions, migrate: Bool, _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let config = try options.configuration()
        // Errors reach the user as one line; the pool's retry warnings would only repeat them.
        var logger = Logger(label: "balmer.store") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        let store = PostgresStore(configuration: config, maxConnections: 1, logger: logger)
        do {
            if migrate { try await store.migrate() }
            let value = try await body(store)
            await store.pool.close()
            return value
        } catch {
            await store.pool.close()
            throw failure(error)
        }
    }

    /// One readable line for `error`.
    static func failure(_ error: any Error) -> any Error {
        switch error {
        case let failure as CLIFailure: failure
        case let exit as ExitCode: exit
        case RepositoryError.notFound(let what): CLIFailure(2, "not found: \(what)")
        case let error as RepositoryError: CLIFailure(2, error.description)
        case let error as PostgresError where error.sqlState == "42P01":
            CLIFailure(1, "\(error.description): is the schema migrated? Run `balmer db migrate`")
        case let error as PostgresError: CLIFailure(1, error.description)
        default: CLIFailure(1, "\(error)")
        }
    }
}

/// Checks a model file before it is registered.
enum ModelFileCheck {
    /// The model in `path`, or exit 2 when it is unreadable or does not fit the store's features.
    static func load(_ path: String) throws -> (model: CNNModel, sha256: String) {
        let model: CNNModel
        do { model = try CNNModel.load(contentsOf: path) } catch { throw CLIFailure(2, error.description) }
        guard model.architecture.inputSize == SpectrumRecord.featureCount else {
            throw CLIFailure(2, "\(path) takes \(model.architecture.inputSize) points, the store's features have \(SpectrumRecord.featureCount)")
        }
        do { _ = try ScoringModel(version: 0, model: model) } catch { throw CLIFailure(2, "\(path): \(error)") }
        return (model, model.sha256)
    }

    /// The metrics stored for a registered file: its training summary, when it has one.
    static func metricsJSON(_ model: CNNModel, file: String) -> String {
        var metrics: [String: Any] = ["source": "file", "file": (file as NSString).lastPathComponent]
        if let t = model.info.training {
            metrics["epochs"] = t.epochsRun
            metrics["loss"] = t.loss
            metrics["training_samples"] = t.trainingSamples
            if let v = t.validationLoss { metrics["val_loss"] = v }
            if let v = t.validationAccuracy { metrics["val_accuracy"] = v }
        }
        return ModelJSON.text(metrics)
    }
}

/// JSON text of Foundation values (sorted keys).
enum ModelJSON {
    static func text(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
            return "null"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The object a model's `metrics` column holds (empty when it is not an object).
    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func date(_ date: Date?) -> Any {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull()
    }
}
