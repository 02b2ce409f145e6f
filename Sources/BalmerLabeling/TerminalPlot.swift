import Foundation

/// Draws one series (flux against wavelength) into a grid of characters for a terminal.
///
/// Layout of the `width` × `height` characters: a left gutter of `gutter` columns with the flux
/// of the top and bottom rows, `height - 2` rows of plot, an x axis line and a row of wavelength
/// labels (Å). With `.braille` each plot cell holds 2 × 4 dots (Unicode braille patterns); with
/// `.ascii` one `*` per cell. An optional marker wavelength (e.g. H-alpha) is drawn as a dotted
/// vertical line (`┊`, ASCII `|`) in empty cells, with `┴` (`^`) on the axis and its label below.
public struct TerminalPlot: Sendable, Hashable {
    public enum Style: Sendable, Hashable { case braille, ascii }

    /// Total width in characters (at least 20).
    public var width: Int
    /// Total height in rows (at least 4: two plot rows, the axis and its labels).
    public var height: Int
    public var style: Style
    /// A wavelength in Å to mark, and its label (e.g. `Hα`).
    public var marker: (wavelength: Double, label: String)? {
        get { markerWavelength.map { ($0, markerLabel) } }
        set { markerWavelength = newValue?.wavelength; markerLabel = newValue?.label ?? "" }
    }
    private var markerWavelength: Double?
    private var markerLabel: String = ""

    /// Columns of the flux labels left of the plot, including the axis character.
    public static let gutter = 9

    public init(width: Int, height: Int, style: Style = .braille, marker: (wavelength: Double, label: String)? = nil) {
        self.width = max(20, width)
        self.height = max(4, height)
        self.style = style
        self.markerWavelength = marker?.wavelength
        self.markerLabel = marker?.label ?? ""
    }

    /// Plot columns (cells) right of the gutter.
    public var plotColumns: Int { width - Self.gutter }
    /// Plot rows above the axis.
    public var plotRows: Int { height - 2 }

    /// The output column (0-based, counting the gutter) of `wavelength` on a plot spanning `range`,
    /// or `nil` when it falls outside.
    public func column(of wavelength: Double, range: ClosedRange<Double>) -> Int? {
        guard range.contains(wavelength), range.upperBound > range.lowerBound else { return nil }
        let fraction = (wavelength - range.lowerBound) / (range.upperBound - range.lowerBound)
        return Self.gutter + Int((fraction * Double(plotColumns - 1)).rounded())
    }

    /// The `height` lines of the plot, each exactly `width` characters.
    /// - Parameters:
    ///   - flux: samples evenly spaced over `range` (non-finite samples are left out).
    ///   - range: wavelengths of the first and last sample in Å.
    public func render(flux: [Float], range: ClosedRange<Double>) -> [String] {
        let columns = plotColumns, rows = plotRows
        let finite = flux.filter(\.isFinite)
        var low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 1)
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        var cells = [[Character]](repeating: [Character](repeating: " ", count: columns), count: rows)

        switch style {
        case .braille:
            let dotsX = columns * 2, dotsY = rows * 4
            var bits = [[UInt8]](repeating: [UInt8](repeating: 0, count: columns), count: rows)
            func set(_ x: Int, _ y: Int) {
                let x = min(max(x, 0), dotsX - 1), y = min(max(y, 0), dotsY - 1)
                let table: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
                bits[y / 4][x / 2] |= table[x % 2][y % 4]
            }
            plotPoints(flux, width: dotsX, height: dotsY, low: low, high: high, set: set)
            for row in 0..<rows {
                for column in 0..<columns where bits[row][column] != 0 {
                    cells[row][column] = Character(Unicode.Scalar(0x2800 + UInt32(bits[row][column]))!)
                }
            }
        case .ascii:
            plotPoints(flux, width: columns, height: rows, low: low, high: high) { x, y in
                cells[min(max(y, 0), rows - 1)][min(max(x, 0), columns - 1)] = "*"
            }
        }

        let markerColumn = markerWavelength.flatMap { column(of: $0, range: range) }.map { $0 - Self.gutter }
        if let markerColumn {
            for row in 0..<rows where cells[row][markerColumn] == " " {
                cells[row][markerColumn] = style == .braille ? "┊" : "|"
            }
        }

        var lines: [String] = []
        for row in 0..<rows {
            let label: String
            if row == 0 { label = Self.number(high) } else if row == rows - 1 { label = Self.number(low) } else { label = "" }
            let axis: Character = style == .braille ? (row == 0 || row == rows - 1 ? "┤" : "│") : "|"
            lines.append(Self.pad(label, Self.gutter - 1, right: true) + String(axis) + String(cells[row]))
        }
        var axisLine = [Character](repeating: style == .braille ? "─" : "-", count: columns)
        if let markerColumn { axisLine[markerColumn] = style == .braille ? "┴" : "^" }
        lines.append(String(repeating: " ", count: Self.gutter - 1) + (style == .braille ? "└" : "+") + String(axisLine))

        var labels = [Character](repeating: " ", count: width)
        /// Writes `text` at `start` unless it would touch another label; returns whether it did.
        @discardableResult
        func place(_ text: String, at start: Int) -> Bool {
            let start = max(0, min(start, width - text.count))
            let from = max(0, start - 1), to = min(width, start + text.count + 1)
            guard labels[from..<to].allSatisfy({ $0 == " " }) else { return false }
            for (offset, character) in text.enumerated() where start + offset < width { labels[start + offset] = character }
            return true
        }
        let left = String(format: "%.0f Å", range.lowerBound), right = String(format: "%.0f Å", range.upperBound)
        // The marker's label first (centred under it, else starting or ending at it), then the
        // range's ends where they still fit.
        if let markerColumn, let wavelength = markerWavelength {
            let text = "\(markerLabel) \(String(format: "%.1f", wavelength))".trimmingCharacters(in: .whitespaces)
            let column = Self.gutter + markerColumn
            for start in [column - text.count / 2, column, column - text.count + 1] where place(text, at: start) { break }
        }
        place(left, at: Self.gutter)
        place(right, at: width - right.count)
        lines.append(String(labels))
        return lines
    }

    /// Calls `set` for each sample's point and fills the vertical gap to the previous one, on a
    /// `width` × `height` grid whose row 0 is `high`.
    private func plotPoints(_ flux: [Float], width: Int, height: Int, low: Double, high: Double, set: (Int, Int) -> Void) {
        var previous: (x: Int, y: Int)?
        let count = flux.count
        for (index, value) in flux.enumerated() {
            guard value.isFinite else { previous = nil; continue }
            let x = count > 1 ? Int((Double(index) * Double(width - 1) / Double(count - 1)).rounded()) : width / 2
            let y = Int(((high - Double(value)) / (high - low) * Double(height - 1)).rounded())
            if let previous, abs(previous.y - y) > 1 {
                let step = previous.y < y ? 1 : -1
                var fill = previous.y + step
                while fill != y {
                    set(abs(fill - previous.y) <= abs(y - previous.y) / 2 ? previous.x : x, fill)
                    fill += step
                }
            }
            set(x, y)
            previous = (x, y)
        }
    }

    /// A compact flux label of at most 8 characters.
    static func number(_ value: Double) -> String {
        let text = String(format: "%.4g", value)
        return text.count <= 8 ? text : String(format: "%.2e", value)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let text = String(text.prefix(width))
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
