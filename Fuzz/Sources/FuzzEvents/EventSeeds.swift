import BalmerBus
import Foundation

/// One or two valid payloads of every event type, encoded by ``EventCodec``.
enum EventSeeds {
    static func all() throws -> [(name: String, bytes: [UInt8])] {
        let time = Date(timeIntervalSince1970: 1_795_000_000.25)
        let spectrum = SpectrumEvent(spectrumID: "spec-55859-B558508_sp01-001", survey: "LAMOST", release: "DR9",
                                     location: "/data/lamost/spec-55859-B558508_sp01-001.fits.gz",
                                     ra: 80.0417, dec: 30.0, mjd: 55859, designation: "J052010.00+300000.0")
        let minimal = SpectrumEvent(spectrumID: "oa190002", survey: "Ondrejov", release: "CCD700", location: "oa190002.fits")
        let label = LabelEvent(taskID: "t-3-17", spectrumID: "oa190002", label: "double", labeller: "simulated",
                               time: time, comment: "two peaks, \"clear\"", corrects: "t-2-9")
        let halpha = (0..<40).map { Float(1 + 0.5 * sin(Double($0) / 4)) }
        let full = (0..<60).map { Float(0.8 + 0.01 * Double($0)) }
        let task = TaskEvent(
            taskID: "t-3-17", batchID: "b-3", iteration: 3, kind: .query, spectrumID: "oa190002", modelVersion: "m-0003",
            probabilities: ["single": 0.5, "double": 0.3, "other": 0.2], entropy: 1.0297, ra: 12.5, dec: -30.25,
            location: "/data/oa190002.fits",
            spectrum: .init(halphaFlux: halpha, halphaRange: [6519, 6732], fullFlux: full, fullRange: [6253, 6766]),
            survey: "lamost", release: "dr9", surveyKey: "123456", designation: "J005000.00-301500.0", mjd: 58000.5,
            snr: 42, magnitude: 13.5)
        let model = ModelEvent(version: "m-0003", sha256: String(repeating: "0123456789abcdef", count: 4),
                               metrics: ["accuracy": 0.93, "loss": 0.21, "precision_lower_bound": 0.8], location: "store:m-0003")
        let dead = DeadLetterEvent(originalTopic: "balmer.spectra", originalPartition: 2, originalOffset: 1234,
                                   originalKey: "spec-1", originalPayloadBase64: Data("{\"schema\":9}".utf8).base64EncodedString(),
                                   code: "unsupported_schema", reason: "schema version 9 is not supported", time: time)
        return [
            ("spectrum.json", try EventCodec.encode(spectrum)),
            ("spectrum-minimal.json", try EventCodec.encode(minimal)),
            ("label.json", try EventCodec.encode(label)),
            ("task.json", try EventCodec.encode(task)),
            ("model.json", try EventCodec.encode(model)),
            ("dead-letter.json", try EventCodec.encode(dead)),
        ]
    }
}
