import ArgumentParser
import BalmerCore
import BalmerStore
import Foundation

/// `balmer labels import|conflicts|resolve`: the initial training set and label conflicts.
struct LabelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Import the initial training set; list and resolve labellers' disagreements.",
        subcommands: [LabelsImportCommand.self, Conflicts.self, Resolve.self])

    struct Conflicts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Spectra whose labellers disagree (unresolved ones unless --all); they are not trained on until resolved.")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Also list conflicts already settled (by a resolution or a strict majority).") var all = false
        @Flag(help: "Print one JSON object per spectrum (one per line).") var json = false

        func run() async throws {
            let conflicts = try await ModelStore.run(database, migrate: false) { try await $0.labelConflicts(unresolvedOnly: !all) }
            if json {
                for conflict in conflicts { print(ModelJSON.text(Self.object(conflict))) }
                return
            }
            guard !conflicts.isEmpty else {
                print(all ? "no label conflicts" : "no unresolved label conflicts")
                return
            }
            for c in conflicts {
                let state = c.label.map { l in c.resolvedBy.map { "resolved \(l.rawValue) by \($0)" } ?? "majority \(l.rawValue)" }
                    ?? "UNRESOLVED"
                print("\(c.spectrumID)  \(c.key)  \(Self.tally(c.tally))  \(state)")
            }
            let open = conflicts.filter { $0.label == nil }.count
            if open > 0 {
                print("\(open) unresolved: decide with `balmer labels resolve SPECTRUM_ID single|double|other --by NAME`")
            }
        }

        /// `single 2, other 1`, most votes first.
        static func tally(_ t: [String: Int]) -> String {
            t.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }

        static func object(_ c: LabelConflict) -> [String: Any] {
            ["spectrum_id": c.spectrumID, "survey": c.key.survey, "release": c.key.release, "key": c.key.key,
             "tally": c.tally, "label": c.label?.rawValue ?? NSNull(), "resolved_by": c.resolvedBy ?? NSNull()]
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide a spectrum's label explicitly (overrides the votes; a later decision replaces it).")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The store's spectrum id, or SURVEY/RELEASE/KEY.") var spectrum: String
        @Argument(help: "single, double or other.") var label: String
        @Option(help: "Who decides.") var by: String
        @Option(help: "Why.") var note: String?

        func validate() throws {
            guard SpectrumClass(rawValue: label.lowercased()) != nil else {
                throw ValidationError("the label must be single, double or other, not '\(label)'")
            }
            guard !by.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--by needs a name")
            }
            if Int64(spectrum) == nil && spectrum.split(separator: "/", omittingEmptySubsequences: false).count != 3 {
                throw ValidationError("SPECTRUM_ID must be a store id or SURVEY/RELEASE/KEY")
            }
        }

        func run() async throws {
            let cls = SpectrumClass(rawValue: label.lowercased())!
            let (id, conflict) = try await ModelStore.run(database, migrate: false) { store -> (Int64, LabelConflict?) in
                let id: Int64
                if let number = Int64(spectrum) {
                    id = number
                } else {
                    let p = spectrum.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    guard let found = try await store.spectrumID(for: SpectrumKey(survey: p[0], release: p[1], key: p[2])) else {
                        throw CLIFailure(2, "no spectrum \(spectrum)")
                    }
                    id = found
                }
                try await store.resolveLabel(spectrumID: id, label: cls, by: by, note: note)
                return (id, try await store.labelConflicts().first { $0.spectrumID == id })
            }
            var line = "spectrum \(id) resolved as \(cls.rawValue) by \(by)"
            if let conflict { line += " (votes: \(Conflicts.tally(conflict.tally)))" } else { line += " (it had no conflicting votes)" }
            print(line)
        }
    }
}
