import ArgumentParser
import BalmerCore
import BalmerFITS
import BalmerSimulation
import Foundation

/// `balmer simulate`: writes a synthetic survey release as FITS files in a real layout, with
/// `truth.csv`, and optionally the Ondřejov dataset CSV that training reads.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a synthetic survey (FITS files in a real layout plus truth.csv).")

    @Option(help: "Survey kind: lamost-dr2, lamost-dr9, ccd700 or sdss.")
    var kind: String

    @Option(help: "Number of spectra.")
    var count: Int

    @Option(help: "Random seed; the same seed writes the same files.")
    var seed: UInt64 = 1

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Class mix, e.g. single=0.41,double=0.12,other=0.47 (default: the kind's own).")
    var mix: String?

    @Option(help: "Also write the Ondřejov dataset CSV layout (12 metadata columns + 140 fluxes) to this file.")
    var datasetCsv: String?

    @Flag(inversion: .prefixedNo, help: "Gzip the FITS files (default: only for lamost-dr9, as the archive serves them).")
    var gzip: Bool?

    @Option(help: "Worker threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard SurveyKind(rawValue: kind) != nil else {
            throw ValidationError("unknown --kind \(kind); use one of \(SurveyKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard count >= 1, count <= 50_000_000 else { throw ValidationError("--count must be between 1 and 50,000,000") }
        if let mix {
            do { _ = try ClassMix(parsing: mix) } catch { throw ValidationError("\(error)") }
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let kind = SurveyKind(rawValue: kind)!
        let mix = try self.mix.map { try ClassMix(parsing: $0) } ?? kind.defaultMix
        let simulator = SurveySimulator(kind: kind, seed: seed, mix: mix)
        let compress = gzip ?? (kind == .lamostDR9)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        let writer = SpectrumFileWriter()
        let csvPreprocessor = Preprocessor(config: PreprocessingConfig(
            blurSigma: kind == .ccd700 ? 7 : nil, scale: false))
        let progress = Progress(total: count, label: "simulate")
        let (layout, folder, wantRows) = (kind.layout, out, datasetCsv != nil)
        let results = Parallel.map(count: count, threads: threads) { i -> (TruthRecord, OndrejovDatasetRow?, String?) in
            defer { progress.advance() }
            var simulated = simulator.spectrum(at: i)
            if compress { simulated.truth.file += ".gz" }
            let row = wantRows ? Self.datasetRow(simulated, preprocessor: csvPreprocessor) : nil
            do {
                try writer.write(simulated.spectrum, as: layout, to: folder + "/" + simulated.truth.file)
                return (simulated.truth, row, nil)
            } catch {
                return (simulated.truth, row, "\(simulated.truth.file): \(error)")
            }
        }
        progress.finish()
        let failed = results.compactMap(\.2)
        guard failed.isEmpty else {
            throw CLIFailure(1, "\(failed.count) files could not be written, first: \(failed[0])")
        }
        let truths = results.map(\.0)
        try TruthCSV.write(truths, to: out + "/truth.csv")
        var summary = "wrote \(count) \(kind.rawValue) spectra and truth.csv to \(out)"
        if let datasetCsv {
            let kept = results.compactMap(\.1)
            try OndrejovDatasetCSV.write(kept, wavelengths: PreprocessingConfig().grid, to: datasetCsv)
            summary += "; \(kept.count) rows to \(datasetCsv)"
            if kept.count < count { summary += " (\(count - kept.count) rejected by preprocessing)" }
        }
        let byClass = Dictionary(grouping: truths, by: \.label).mapValues(\.count)
        summary += "; classes: " + SpectrumClass.allCases.map { "\($0.rawValue) \(byClass[$0] ?? 0)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }

    /// The Ondřejov dataset row of a simulated spectrum (unscaled fluxes on the 140-point grid).
    static func datasetRow(_ simulated: SimulatedSpectrum, preprocessor: Preprocessor) -> OndrejovDatasetRow? {
        guard case .success(let flux) = preprocessor.features(of: simulated.spectrum) else { return nil }
        let m = simulated.spectrum.metadata
        let id = simulated.truth.file.replacingOccurrences(of: ".fits.gz", with: "").replacingOccurrences(of: ".fits", with: "")
        var metadata: [String: String] = [:]
        metadata["object"] = m.objectName ?? ""
        metadata["ra"] = m.ra.map { String(format: "%.6f", $0) } ?? ""
        metadata["dec"] = m.dec.map { String(format: "%.6f", $0) } ?? ""
        metadata["date-obs"] = m.date ?? ""
        return OndrejovDatasetRow(id: id, label: simulated.truth.label, metadata: metadata, flux: flux)
    }
}
