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

/// The preprocessing presets of `--domain`.
enum LabelsImportDomain: String, Sendable {
    /// The paper's training domain: CCD700 spectra, air→vacuum, blur σ = 7 px.
    case ccd700
    /// Survey spectra (LAMOST, SDSS): no blur.
    case survey

    var config: PreprocessingConfig { self == .ccd700 ? .ccd700 : .survey }

    /// The preset for a detected layout: Ondřejov files are the training domain.
    static func forLayout(_ layout: SpectrumLayout) -> LabelsImportDomain {
        layout.survey == "Ondrejov" ? .ccd700 : .survey
    }
}

/// What one import stores: spectra with their labels, and notes for the operator.
struct LabelsImportBatch: Sendable {
    struct Item: Sendable {
        var record: SpectrumRecord
        var label: SpectrumClass
    }

    var items: [Item] = []
    var survey: String
    var notes: [String] = []

    /// Reads an Ondřejov dataset CSV (exit 2 when it cannot be read or has the wrong grid).
    static func csv(_ path: String, release: String) throws -> LabelsImportBatch {
        let parsed: (wavelengths: [Double], rows: [OndrejovDatasetRow])
        do { parsed = try OndrejovDatasetCSV.readWithWavelengths(contentsOf: path) } catch {
            throw CLIFailure(2, error.description)
        }
        guard parsed.wavelengths.count == SpectrumRecord.featureCount else {
            throw CLIFailure(2, "\(path) has \(parsed.wavelengths.count) flux columns, the store needs \(SpectrumRecord.featureCount)")
        }
        let location = URL(fileURLWithPath: path).standardizedFileURL.path
        var batch = LabelsImportBatch(survey: "ondrejov")
        var flat: [String] = []
        var seen = Set<String>()
        var duplicates = 0
        for row in parsed.rows {
            var flux = row.flux
            guard FeatureScaling.minMax(&flux) else { flat.append(row.id); continue }
            guard seen.insert(row.id).inserted else { duplicates += 1; continue }
            let designation = row.metadata["object"].flatMap { $0.isEmpty ? nil : $0 }
            batch.items.append(Item(
                record: SpectrumRecord(key: SpectrumKey(survey: "ondrejov", release: release, key: row.id),
                                       ra: row.metadata["ra"].flatMap(Sexagesimal.rightAscension),
                                       dec: row.metadata["dec"].flatMap(Sexagesimal.declination),
                                       designation: designation, location: "\(location)#\(row.id)", features: flux),
                label: row.label))
        }
        if !flat.isEmpty {
            batch.notes.append("\(flat.count) flat or non-finite rows not imported (first: \(flat.prefix(5).joined(separator: ", ")))")
        }
        if duplicates > 0 { batch.notes.append("\(duplicates) rows repeat an earlier id: the first one is kept") }
        return batch
    }

    /// Reads and preprocesses FITS files labelled by a truth CSV; unusable files become notes.
    static func fits(
        _ input: String, truth: String, domain: LabelsImportDomain?, release: String, threads: Int
    ) throws -> LabelsImportBatch {
        guard FileManager.default.fileExists(atPath: input) else { throw CLIFailure(2, "no such file or folder: \(input)") }
        let truthRecords: [TruthRecord]
        do { truthRecords = try TruthCSV.read(contentsOf: truth) } catch { throw CLIFailure(2, "\(error)") }
        var classOf: [String: SpectrumClass] = [:]
        for r in truthRecords { classOf[r.file] = r.label }
        let files = SpectrumFiles.expand([input]).map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        guard !files.isEmpty else { throw CLIFailure(2, "no FITS files in \(input)") }

        var logger = Logger(label: "balmer.fits") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .error
        let reader = SpectrumFileReader(logger: logger)
        let preprocessors = [LabelsImportDomain.ccd700, .survey].map { ($0, Preprocessor(config: $0.config)) }
        typealias Outcome = Result<(record: SpectrumRecord, domain: LabelsImportDomain), LabelsImportFailure>
        let outcomes: [Outcome] = Parallel.map(count: files.count, threads: threads) { i in
            let path = files[i]
            let spectrum: Spectrum
            do { spectrum = try reader.read(path: path) } catch {
                return .failure(LabelsImportFailure(path: path, reason: "\(error)"))
            }
            let chosen = domain ?? .forLayout(spectrum.layout)
            let preprocessor = preprocessors.first { $0.0 == chosen }!.1
            switch preprocessor.features(of: spectrum) {
            case .failure(let reject):
                return .failure(LabelsImportFailure(path: path, reason: reject.description))
            case .success(let features):
                var record = SpectrumRecord(key: PublishCommand.spectrumID(path), metadata: spectrum.metadata,
                                            location: path, features: features)
                record.key.survey = spectrum.metadata.survey ?? spectrum.layout.survey
                record.key.release = release
                return .success((record, chosen))
            }
        }
        var batch = LabelsImportBatch(survey: "")
        var failures: [LabelsImportFailure] = []
        var domains: [LabelsImportDomain: Int] = [:]
        var surveys = Set<String>()
        for (path, outcome) in zip(files, outcomes) {
            switch outcome {
            case .failure(let failure): failures.append(failure)
            case .success(let value):
                let (record, chosen) = (value.record, value.domain)
                guard let label = classOf[(path as NSString).lastPathComponent] else {
                    failures.append(LabelsImportFailure(path: path, reason: "no row in \(truth)"))
                    continue
                }
                domains[chosen, default: 0] += 1
                surveys.insert(record.key.survey)
                batch.items.append(Item(record: record, label: label))
            }
        }
        batch.survey = surveys.sorted().joined(separator: "+")
        let used = domains.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) (\($0.key == .ccd700 ? "air→vacuum, blur σ=7 px" : "no blur")) for \($0.value) files" }
        if !used.isEmpty {
            batch.notes.append("preprocessing: " + used.joined(separator: ", ") + (domain == nil ? ", chosen by the detected layout" : ""))
        }
        let present = Set(files.map { ($0 as NSString).lastPathComponent })
        let missing = truthRecords.filter { !present.contains($0.file) }.map(\.file)
        if !missing.isEmpty {
            batch.notes.append("\(missing.count) rows of \(truth) name no file under \(input) (first: \(missing.prefix(3).joined(separator: ", ")))")
        }
        if !failures.isEmpty {
            let first = failures.prefix(3).map { "\(($0.path as NSString).lastPathComponent): \($0.reason)" }
            batch.notes.append("\(failures.count) of \(files.count) files not imported; first: " + first.joined(separator: "; "))
        }
        return batch
    }
}

/// A file `balmer labels import --fits` could not use, and why.
struct LabelsImportFailure: Error, Sendable {
    var path: String
    var reason: String
}
