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
