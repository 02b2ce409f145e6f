import ArgumentParser
import BalmerCore
import BalmerFITS
import BalmerSimulation
import BalmerStore
import Foundation
import Logging

/// `balmer labels import`: the initial training set into the store, as `spectra` rows and
/// labels with source `initial`. Idempotent: importing the same input twice changes nothing.
struct LabelsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the initial training set: an Ondřejov dataset CSV, or FITS files with a truth CSV.",
        discussion: """
            CSV: rows are min–max scaled to [-1, 1] as on training load; spectra get survey `ondrejov`, \
            the row's id as key and FILE.csv#ID as location. FITS: each file is read and preprocessed \
            (--domain ccd700: air→vacuum and blur σ = 7 px, the paper's training domain; survey: no blur; \
            default: chosen per file by its detected layout); labels come from a truth CSV as written by \
            `balmer simulate` (file,class,…). Files that cannot be used are counted and reported.
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Ondřejov dataset CSV (not with --fits).") var file: String?
    @Option(help: "Folder (or file) of FITS spectra to import.") var fits: String?
    @Option(help: "Truth CSV for --fits (file,class,subtype,snr,radial_velocity,artefacts).") var truth: String?
    @Option(help: "Preprocessing of --fits files: ccd700 or survey (default: by each file's layout).") var domain: String?
    @Option(help: "Release name the spectra are stored under.") var release = "initial"
    @Option(help: "Labeller recorded for the labels.") var labeller = "dataset"
    @Option(help: "Worker threads reading FITS files (default: all processors).") var threads: Int?

    func validate() throws {
        func bad(_ message: String) -> ValidationError { ValidationError(message) }
        switch (file, fits) {
        case (nil, nil): throw bad("give a dataset CSV, or --fits DIR --truth labels.csv")
        case (.some, .some): throw bad("give a dataset CSV or --fits, not both")
        case (nil, .some): if truth == nil { throw bad("--fits needs --truth labels.csv") }
        case (.some, nil):
            if truth != nil || domain != nil { throw bad("--truth and --domain go with --fits") }
        }
        if let domain, LabelsImportDomain(rawValue: domain) == nil { throw bad("--domain must be ccd700 or survey") }
        for (name, value) in [("--release", release), ("--labeller", labeller)] where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw bad("\(name) must not be empty")
        }
        if let threads, threads < 1 { throw bad("--threads must be at least 1") }
    }

    func run() async throws {
        let batch: LabelsImportBatch
        if let file {
            batch = try LabelsImportBatch.csv(file, release: release)
        } else {
            batch = try LabelsImportBatch.fits(
                fits!, truth: truth!, domain: domain.flatMap(LabelsImportDomain.init(rawValue:)), release: release,
                threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        }
        for note in batch.notes { FileHandle.standardError.write(Data("balmer labels import: \(note)\n".utf8)) }
        guard !batch.items.isEmpty else { throw CLIFailure(2, "nothing to import from \(file ?? fits!)") }
        let labeller = labeller
        let (newSpectra, newLabels) = try await ModelStore.run(database, migrate: true) { store -> (Int, Int) in
            let spectraBefore = try await store.spectrumCount()
            let labelsBefore = try await store.labelCount(sources: [.initial], since: nil)
            let now = Date()
            for start in stride(from: 0, to: batch.items.count, by: 2000) {
                let chunk = batch.items[start..<min(start + 2000, batch.items.count)]
                let ids = try await store.upsertSpectra(chunk.map(\.record))
                try await store.upsertLabels(zip(ids, chunk).map { id, item in
                    LabelRecord(spectrumID: id, label: item.label, labeller: labeller, source: .initial, labelledAt: now)
                })
            }
            return (try await store.spectrumCount() - spectraBefore,
                    try await store.labelCount(sources: [.initial], since: nil) - labelsBefore)
        }
        let counts = Dictionary(grouping: batch.items, by: \.label).mapValues(\.count)
        let perClass = SpectrumClass.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        print("imported \(batch.items.count) labelled spectra (\(perClass)) as \(batch.survey)/\(release): "
              + "\(newSpectra) new spectra, \(newLabels) new labels")
    }
}
