import ArgumentParser
import BalmerCore
import BalmerStore
import Foundation

/// `balmer candidates`: export the final candidates (predicted targets plus oracle-labelled targets).
struct CandidatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "candidates",
        abstract: "Export emission-line star candidates as CSV, VOTable or JSON lines.",
        discussion: """
            Rows: spectra whose latest label, else prediction by the model, is single or double, with
            probabilities, entropy, label, model version and SIMBAD/VizieR/Aladin links.
            The VOTable (1.4, TABLEDATA) opens in TOPCAT and astropy.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Output format: csv, votable or json (one object per line).")
    var format: String = "csv"

    @Option(name: .customLong("class"), help: "Only this class: single or double (default: both).")
    var spectrumClass: String?

    @Option(name: .customLong("min-prob"), help: "Minimum probability of the row's class, 0...1 (labelled rows always pass).")
    var minProbability: Float = 0

    @Option(help: "Model version (default: the active model).")
    var model: Int?

    @Option(help: "At most this many rows, most probable first.")
    var limit: Int?

    @Option(help: "Write to FILE instead of standard output.")
    var out: String?

    @Flag(help: "Same as --format json.")
    var json = false

    func validate() throws {
        guard CandidateExport.Format(rawValue: json ? "json" : format) != nil else {
            throw DatabaseOptions.failure(code: 2, "--format must be csv, votable or json")
        }
        if let spectrumClass, SpectrumClass(label: spectrumClass)?.isTarget != true {
            throw DatabaseOptions.failure(code: 2, "--class must be single or double")
        }
        if !(0...1).contains(minProbability) { throw DatabaseOptions.failure(code: 2, "--min-prob must be within 0...1") }
        if let limit, limit < 0 { throw DatabaseOptions.failure(code: 2, "--limit must not be negative") }
    }

    func run() async throws {
        let config = try database.configuration()
        let format = CandidateExport.Format(rawValue: json ? "json" : format)!
        let query = CandidateQuery(
            spectrumClass: spectrumClass.flatMap(SpectrumClass.init(label:)), minProbability: minProbability,
            modelVersion: model, limit: limit)
        let (rows, version) = try await DatabaseOptions.reportingErrors {
            let store = PostgresStore(configuration: config, maxConnections: 1)
            let rows = try await store.candidates(query)
            var version = model
            if version == nil { version = try await store.activeModel()?.version }
            await store.pool.close()
            return (rows, version)
        }
        if version == nil { throw DatabaseOptions.failure("no active model: pass --model VERSION") }
        let text = CandidateExport.render(rows, format: format, modelVersion: version)
        if let out {
            do {
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw DatabaseOptions.failure("cannot write \(out): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("balmer: wrote \(rows.count) candidates to \(out)\n".utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
