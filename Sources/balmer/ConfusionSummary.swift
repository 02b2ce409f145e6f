import BalmerCore
import Foundation

/// Predictions against known truth: a confusion table and target precision/recall, for
/// `balmer predict --truth` (simulated surveys, labelled test sets).
struct ConfusionSummary {
    /// counts[truth][predicted]
    private(set) var counts: [SpectrumClass: [SpectrumClass: Int]] = [:]
    private(set) var unknown = 0
    private(set) var rejected: [SpectrumClass: Int] = [:]

    init(predicted: [(id: String, predicted: SpectrumClass?)], rejected ids: [String], truth: [String: SpectrumClass]) {
        for (id, predicted) in predicted {
            guard let actual = truth[id] ?? truth[Self.stem(id)], let predicted else {
                unknown += 1
                continue
            }
            counts[actual, default: [:]][predicted, default: 0] += 1
        }
        for id in ids {
            if let actual = truth[id] ?? truth[Self.stem(id)] { rejected[actual, default: 0] += 1 } else { unknown += 1 }
        }
    }

    /// A file name without `.fits`, `.fit` or `.gz` endings.
    static func stem(_ name: String) -> String {
        var stem = (name as NSString).lastPathComponent
        for suffix in [".gz", ".fits", ".fit"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
        return stem
    }

    func count(truth: SpectrumClass, predicted: SpectrumClass) -> Int { counts[truth]?[predicted] ?? 0 }

    /// Predicted targets whose true class is the predicted one, over all predicted targets.
    var targetPrecision: Double? {
        let predictedTargets = SpectrumClass.allCases.filter(\.isTarget).reduce(0) { sum, p in
            sum + SpectrumClass.allCases.reduce(0) { $0 + count(truth: $1, predicted: p) }
        }
        let correct = SpectrumClass.allCases.filter(\.isTarget).reduce(0) { $0 + count(truth: $1, predicted: $1) }
        return predictedTargets == 0 ? nil : Double(correct) / Double(predictedTargets)
    }

    /// True targets predicted as any target class, over all true targets that were scored.
    var targetRecall: Double? {
        let targets = SpectrumClass.allCases.filter(\.isTarget)
        let total = targets.reduce(0) { sum, t in sum + SpectrumClass.allCases.reduce(0) { $0 + count(truth: t, predicted: $1) } }
        let found = targets.reduce(0) { sum, t in sum + targets.reduce(0) { $0 + count(truth: t, predicted: $1) } }
        return total == 0 ? nil : Double(found) / Double(total)
    }

    var text: String {
        let classes = SpectrumClass.allCases
        var lines = ["truth \\ predicted  " + classes.map { $0.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined(separator: " ") + "  rejected"]
        for actual in classes {
            let row = classes.map { String(format: "%8d", count(truth: actual, predicted: $0)) }.joined(separator: " ")
            lines.append(actual.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0) + row + String(format: "  %8d", rejected[actual] ?? 0))
        }
        let percent = { (value: Double?) in value.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a" }
        lines.append("target precision (exact class) \(percent(targetPrecision)), target recall \(percent(targetRecall))")
        if unknown > 0 { lines.append("\(unknown) spectra are not in the truth file") }
        return lines.joined(separator: "\n") + "\n"
    }
}
