import BalmerCore
import BalmerFITS
import BalmerSimulation
import BalmerStore
import Foundation
import Logging

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
