import BalmerBus
import BalmerLabeling
import Testing

@Suite struct TaskScreenTests {
    func session(with task: TaskEvent) -> LabelSession {
        var session = LabelSession(labeller: "alice")
        session.enqueue(task, ticket: 0)
        return session
    }

    @Test func fitsEightyByTwentyFourAndShowsTheFacts() {
        let task = Fixtures.task("t1", kind: .precision)
        let lines = TaskScreen(columns: 80, rows: 24).lines(for: session(with: task))
        #expect(lines.count == 24)
        for line in lines { #expect(line.count <= 80, "\(line)") }
        let text = lines.joined(separator: "\n")
        #expect(text.contains("precision sample"))
        #expect(text.contains("P(single) 0.500") && text.contains("P(double) 0.300") && text.contains("P(other) 0.200"))
        #expect(text.contains("model-12"))
        #expect(text.contains("J053431.92+220052.2"))
        #expect(text.contains("RA 05:34:31.92 Dec +22:00:52.2"))
        #expect(text.contains("MJD 55919") && text.contains("S/N 42.5") && text.contains("mag 12.25"))
        // The SIMBAD address is longer than 80 columns: wrapped, so it is there whole.
        #expect(lines.joined().contains("https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=83.633000+%2B22.014500&Radius=10&Radius.unit=arcsec"))
        #expect(text.contains("LAMOST  https://www.lamost.org/dr9/v2.0/spectrum/view?obsid=123456789"))
        #expect(text.contains("┴"))
        #expect(lines.last == LabelSession.keyLine)
    }

    @Test func usesMoreRowsOnALargerTerminal() {
        let task = Fixtures.task("t1")
        let small = TaskScreen(columns: 80, rows: 24).lines(for: session(with: task))
        let large = TaskScreen(columns: 120, rows: 40).lines(for: session(with: task))
        #expect(large.count == 40)
        for line in large { #expect(line.count <= 120) }
        func plotRows(_ lines: [String]) -> Int { lines.filter { $0.contains("┤") || $0.contains("│") }.count }
        #expect(plotRows(large) > plotRows(small))
        // The whole SIMBAD address fits at 120 columns.
        let simbad = TaskLink.links(for: task)[0].url
        #expect(large.contains { $0.contains(simbad) })
        #expect(!small.contains { $0.contains(simbad) })
        #expect(small.joined().contains(simbad))
    }

    @Test func queryKindCorrectionAndCommentAreShown() {
        var session = session(with: Fixtures.task("t1"))
        session.enqueue(Fixtures.task("t2"), ticket: 1)
        _ = session.handle(.character("s"), now: Fixtures.t0)
        _ = session.handle(.character("u"), now: Fixtures.t0)
        _ = session.handle(.character("c"), now: Fixtures.t0)
        _ = session.handle(.character("h"), now: Fixtures.t0)
        let text = TaskScreen(columns: 80, rows: 24).lines(for: session).joined(separator: "\n")
        #expect(text.contains("CORRECTING (was single)"))
        #expect(text.contains("query (uncertain)"))
        #expect(text.contains("comment> h"))
    }

    @Test func helpListsEveryKeyAndTheFullLinks() {
        var session = session(with: Fixtures.task("t1"))
        _ = session.handle(.character("?"), now: Fixtures.t0)
        let lines = TaskScreen(columns: 80, rows: 24).lines(for: session)
        let text = lines.joined(separator: "\n")
        for key in ["  s  ", "  d  ", "  o  ", "  k  ", "  u  ", "  c  ", "  l  ", "  ?  "] { #expect(text.contains(key)) }
        // Wrapped, not clipped: joining the wrapped lines gives the whole address back.
        #expect(lines.joined().contains(TaskLink.links(for: Fixtures.task("t1"))[0].url))
    }

    @Test func waitingScreenAndTaskTextWithoutControlCharacters() {
        let waiting = TaskScreen(columns: 80, rows: 24).lines(for: LabelSession(labeller: "bob"))
        #expect(waiting.count == 24)
        #expect(waiting.joined().contains("Waiting for tasks"))
        var task = Fixtures.task("t1", ra: nil, dec: nil, survey: nil)
        task.designation = "evil\u{1B}[2Jname"
        let lines = TaskScreen(columns: 80, rows: 24).lines(for: session(with: task))
        #expect(!lines.joined().unicodeScalars.contains("\u{1B}"))
        #expect(lines.joined().contains("no coordinates"))
        #expect(!lines.joined().contains("simbad"))
    }

    @Test func sexagesimalFormatting() {
        #expect(SkyFormat.rightAscension(83.633) == "05:34:31.92")
        #expect(SkyFormat.declination(-5.391) == "-05:23:27.6")
        #expect(SkyFormat.rightAscension(359.99999999) == "00:00:00.00")
    }
}
