import BalmerBus
import Foundation

/// Builds test tasks: an emission bump in the H-alpha window at `peak` Å over a flat continuum.
enum Fixtures {
    static func task(_ id: String, kind: TaskEvent.Kind = .query, ra: Double? = 83.633, dec: Double? = 22.0145,
                     survey: String? = "lamost", surveyKey: String? = "123456789", location: String? = nil,
                     peak: Double = 6564.61) -> TaskEvent {
        let halpha = (0..<140).map { index -> Float in
            let wavelength = 6519 + Double(index) * (6732 - 6519) / 139
            return Float(1 + 2 * exp(-pow((wavelength - peak) / 3, 2)))
        }
        let full = (0..<300).map { Float(1 + 0.2 * sin(Double($0) / 15)) }
        let probabilities = ["single": 0.5, "double": 0.3, "other": 0.2]
        let entropy = -probabilities.values.reduce(0) { $0 + $1 * log($1) }
        return TaskEvent(
            taskID: id, batchID: "batch-7", iteration: 3, kind: kind, spectrumID: "sp-\(id)", modelVersion: "model-12",
            probabilities: probabilities, entropy: entropy, ra: ra, dec: dec,
            location: location ?? "/data/lamost/dr9/spec-\(id).fits.gz",
            spectrum: .init(halphaFlux: halpha, halphaRange: [6519, 6732], fullFlux: full, fullRange: [3700, 9100]),
            survey: survey, release: "dr9", surveyKey: surveyKey, designation: "J053431.92+220052.2", mjd: 55919, snr: 42.5,
            magnitude: 12.25)
    }

    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)
}
