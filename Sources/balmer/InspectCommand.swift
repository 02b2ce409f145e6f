import ArgumentParser
import BalmerCore
import BalmerFITS
import Foundation

/// `balmer inspect`: reads FITS files, preprocesses them and prints what it found.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Read spectrum FITS files (any supported layout) and show their layout, metadata and features.")

    @Option(help: "Gaussian blur σ in native pixels before resampling (7 turns CCD700 spectra LAMOST-like).")
    var blur: Double?

    @Flag(help: "Print one JSON object per file and line.")
    var json = false

    @Option(help: "Worker threads for reading (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Argument(help: "FITS files (.fits or .fits.gz) or folders of them.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one FITS file") }
        if let blur, !(blur > 0 && blur < 1000) { throw ValidationError("--blur must be a positive number of pixels") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let extractor = FeatureExtractor(config: PreprocessingConfig(blurSigma: blur))
        let results = extractor.extract(paths: SpectrumFiles.expand(files), threads: threads)
        var unreadable = 0
        for result in results {
            if case .failure(.unreadable) = result.features { unreadable += 1 }
            print(json ? InspectRecord(result).jsonLine() : InspectRecord(result).summary)
        }
        if unreadable > 0 {
            FileHandle.standardError.write(Data("balmer inspect: \(unreadable) of \(results.count) files could not be read\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// One file's inspection, as printed by `balmer inspect`.
struct InspectRecord: Encodable {
    var file: String
    var layout: String?
    var frame: String?
    var pixels: Int?
    var wavelengthRange: [Double]?
    var features: [Float]?
    var reject: String?
    var rejectCode: String?
    var metadata: SpectrumMetadata?

    init(_ extraction: SpectrumExtraction) {
        file = extraction.path
        if let spectrum = extraction.spectrum {
            layout = spectrum.layout.rawValue
            frame = spectrum.frame.rawValue
            pixels = spectrum.wavelength.count
            wavelengthRange = [spectrum.wavelength.first ?? 0, spectrum.wavelength.last ?? 0]
            metadata = spectrum.metadata
        }
        switch extraction.features {
        case .success(let vector): features = vector
        case .failure(let failure):
            reject = failure.description
            rejectCode = failure.code
        }
    }

    enum Key: String, CodingKey {
        case file, layout, frame, pixels, wavelength_range, features, reject, reject_code
        case designation, ra, dec, mjd, date, `class`, subclass, snr, survey, release, object, file_name
    }

    /// Every key is always present (null when unknown), so consumers see a stable shape.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(file, forKey: .file)
        try c.encode(layout, forKey: .layout)
        try c.encode(frame, forKey: .frame)
        try c.encode(pixels, forKey: .pixels)
        try c.encode(wavelengthRange, forKey: .wavelength_range)
        try c.encode(features, forKey: .features)
        try c.encode(reject, forKey: .reject)
        try c.encode(rejectCode, forKey: .reject_code)
        let m = metadata ?? SpectrumMetadata()
        try c.encode(m.designation, forKey: .designation)
        try c.encode(m.ra, forKey: .ra)
        try c.encode(m.dec, forKey: .dec)
        try c.encode(m.mjd, forKey: .mjd)
        try c.encode(m.date, forKey: .date)
        try c.encode(m.objectClass, forKey: .class)
        try c.encode(m.subclass, forKey: .subclass)
        try c.encode(m.snr, forKey: .snr)
        try c.encode(m.survey, forKey: .survey)
        try c.encode(m.release, forKey: .release)
        try c.encode(m.objectName, forKey: .object)
        try c.encode(m.fileName, forKey: .file_name)
    }

    func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? #"{"file":"?","reject":"encoding failed"}"#
    }

    var summary: String {
        var lines = ["\(file)"]
        guard let layout, let frame else {
            lines.append("  unreadable: \(reject ?? "?")")
            return lines.joined(separator: "\n")
        }
        let range = wavelengthRange.map { String(format: "%.1f–%.1f Å", $0[0], $0[1]) } ?? "?"
        lines.append("  layout \(layout), \(frame), \(pixels ?? 0) px, \(range)")
        if let m = metadata {
            let sky = m.ra.flatMap { ra in m.dec.map { String(format: "RA %.5f° Dec %+.5f°", ra, $0) } } ?? "no coordinates"
            let name = [m.designation, m.objectName].compactMap { $0 }.first ?? "unnamed"
            lines.append("  \(name); \(sky); \(m.objectClass ?? "-") \(m.subclass ?? ""); S/N \(m.snr.map { String(format: "%.1f", $0) } ?? "-"); \(m.release ?? "")")
        }
        if let features {
            let preview = features.prefix(6).map { String(format: "%.3f", $0) }.joined(separator: " ")
            lines.append("  features: \(features.count) points [\(preview) …]")
        } else {
            lines.append("  rejected: \(reject ?? "?")")
        }
        return lines.joined(separator: "\n")
    }
}
