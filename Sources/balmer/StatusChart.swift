import BalmerStore
import Foundation

/// The precision chart of `balmer status`: one bar per iteration over [0, 1].
enum StatusChart {
    /// Characters for the range 0…1.
    static let width = 40

    /// A header and one line per iteration: `#` up to the t lower bound, `=` from it to the
    /// estimate, `.` beyond, `|` at the threshold; then the numbers and labels used.
    static func lines(_ iterations: [IterationStatus], threshold: Double) -> String {
        var out = ["precision per iteration (# t lower bound, = estimate, | threshold \(String(format: "%.2f", threshold)))"]
        let mark = min(width - 1, max(0, Int((threshold * Double(width)).rounded())))
        for i in iterations {
            var cells = [Character](repeating: ".", count: width)
            var numbers = "not estimated yet"
            if let p = i.precisionEstimate {
                let lower = max(0, min(p, i.tLowerBound ?? p))
                let filled = Int((p * Double(width)).rounded())
                let solid = Int((lower * Double(width)).rounded())
                for k in 0..<min(filled, width) { cells[k] = k < solid ? "#" : "=" }
                numbers = String(format: "%.2f", p) + (i.tLowerBound.map { String(format: " (t ≥ %.2f", $0) } ?? " (")
                numbers += ", \(i.precisionCorrect.map { "\($0)/" } ?? "n=")\(i.precisionSampleSize))"
            } else if i.tasks.precisionAsked > 0 {
                numbers = "sample \(i.tasks.precisionAnswered)/\(i.tasks.precisionAsked) answered"
            }
            cells[mark] = "|"
            let label = String(format: "%3d", i.iteration)
            out.append("  it\(label) [\(String(cells))] \(numbers)  labels \(i.labelsUsed), queried \(i.tasks.queryAnswered)/\(i.tasks.queryAsked)"
                       + (i.converged ? "  converged" : ""))
        }
        return out.joined(separator: "\n")
    }
}
