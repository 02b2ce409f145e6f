import BalmerBus
import Foundation

/// A small SVG picture of a task (`balmer label --svg DIR`): the H-alpha window with the rest
/// wavelength marked above the downsampled full spectrum, 800 × 560 px, no dependencies.
public enum TaskSVG {
    public static func document(for task: TaskEvent) -> String {
        let spectrum = task.spectrum
        var body = ""
        body += panel(title: "Hα window (rest 6564.61 Å, vacuum)", flux: spectrum.halphaFlux, range: spectrum.halphaRange, top: 40)
        body += panel(title: "Full spectrum (downsampled)", flux: spectrum.fullFlux, range: spectrum.fullRange, top: 310)
        let probabilities = task.probabilities.keys.sorted().map { "\($0) \(String(format: "%.3f", task.probabilities[$0] ?? 0))" }
            .joined(separator: ", ")
        let title = "task \(task.taskID) · \(task.kind.rawValue) · spectrum \(task.spectrumID) · \(probabilities) · H \(String(format: "%.3f", task.entropy))"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="800" height="560" viewBox="0 0 800 560" font-family="sans-serif" font-size="12">
            <rect width="800" height="560" fill="white"/>
            <text x="10" y="20" font-size="13">\(escape(title))</text>
            \(body)</svg>

            """
    }

    private static func panel(title: String, flux: [Float], range: [Double], top: Double) -> String {
        let left = 60.0, width = 720.0, height = 220.0
        guard range.count == 2, range[1] > range[0], flux.count > 1 else { return "" }
        let finite = flux.filter(\.isFinite)
        var low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 1)
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let points = flux.enumerated().compactMap { index, value -> String? in
            guard value.isFinite else { return nil }
            let x = left + Double(index) / Double(flux.count - 1) * width
            let y = top + 10 + (high - Double(value)) / (high - low) * (height - 20)
            return String(format: "%.1f,%.1f", x, y)
        }.joined(separator: " ")
        var svg = "<text x=\"\(left)\" y=\"\(top - 4)\">\(escape(title))</text>\n"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#888\"/>\n"
        let marker = 6564.61
        if marker > range[0] && marker < range[1] {
            let x = left + (marker - range[0]) / (range[1] - range[0]) * width
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"red\" stroke-dasharray=\"4 3\"/>\n", x, top, x, top + height)
        }
        svg += "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"1\" points=\"\(points)\"/>\n"
        svg += String(format: "<text x=\"%.0f\" y=\"%.0f\">%.0f Å</text>\n", left, top + height + 14, range[0])
        svg += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f Å</text>\n", left + width, top + height + 14, range[1])
        return svg
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .filter { !($0.unicodeScalars.first?.properties.generalCategory == .control) }
    }
}
