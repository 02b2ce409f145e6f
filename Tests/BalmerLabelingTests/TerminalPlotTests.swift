import BalmerLabeling
import Testing

@Suite struct TerminalPlotTests {
    let range = 6519.0...6732.0

    @Test(arguments: [TerminalPlot.Style.braille, .ascii], [(40, 10), (80, 20), (23, 4)])
    func fitsTheGivenSize(style: TerminalPlot.Style, size: (Int, Int)) {
        let plot = TerminalPlot(width: size.0, height: size.1, style: style, marker: (6564.61, "Hα"))
        let lines = plot.render(flux: Fixtures.task("a").spectrum.halphaFlux, range: range)
        #expect(lines.count == size.1)
        for line in lines { #expect(line.count == size.0, "\(line)") }
    }

    @Test func markerColumnSitsAtTheRestWavelength() throws {
        let plot = TerminalPlot(width: 60, height: 12, style: .braille, marker: (6564.61, "Hα"))
        let lines = plot.render(flux: [Float](repeating: 0, count: 140), range: range)
        // Independent arithmetic: fraction of the span times the last plot column, after the gutter.
        let expected = TerminalPlot.gutter + Int(((6564.61 - 6519) / (6732 - 6519) * Double(60 - TerminalPlot.gutter - 1)).rounded())
        #expect(plot.column(of: 6564.61, range: range) == expected)
        let axis = Array(lines[lines.count - 2])
        #expect(axis[expected] == "┴")
        #expect(axis.filter { $0 == "┴" }.count == 1)
        // A flat series runs through the middle row; the marker shows in the empty rows above.
        let upper = Array(lines[2])
        #expect(upper[expected] == "┊")
        #expect(lines.last!.contains("Hα 6564.6"))
        #expect(lines.last!.contains("6519 Å") && lines.last!.contains("6732 Å"))
    }

    @Test func markerOutsideTheRangeIsNotDrawn() {
        let plot = TerminalPlot(width: 40, height: 8, style: .ascii, marker: (5000, "x"))
        let lines = plot.render(flux: [1, 2, 3], range: range)
        #expect(plot.column(of: 5000, range: range) == nil)
        #expect(!lines.joined().contains("^"))
    }

    @Test func peakLandsInTheTopRowAtItsWavelength() throws {
        let plot = TerminalPlot(width: 70, height: 10, style: .ascii)
        let task = Fixtures.task("a", peak: 6650)
        let lines = plot.render(flux: task.spectrum.halphaFlux, range: range)
        let top = Array(lines[0])
        let star = try #require(top.firstIndex(of: "*"))
        let expected = try #require(plot.column(of: 6650, range: range))
        #expect(abs(star - expected) <= 1)
        #expect(lines[0].hasSuffix(String(repeating: " ", count: 70 - star - 1)) || top[star + 1] != " ")
    }

    @Test func constantAndNonFiniteSeriesDoNotCrash() {
        let plot = TerminalPlot(width: 30, height: 6)
        #expect(plot.render(flux: [2, 2, 2], range: range).count == 6)
        #expect(plot.render(flux: [.nan, .infinity, 1], range: range).count == 6)
        #expect(plot.render(flux: [], range: range).count == 6)
    }
}
