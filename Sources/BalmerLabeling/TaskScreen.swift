import BalmerBus
import Foundation

/// The whole labelling screen for one moment of a session: the lines to draw.
///
/// At the minimum size (80 × 24) the two plots (H-alpha window with the rest wavelength marked,
/// downsampled full spectrum) sit side by side above the task's facts and links; on larger
/// terminals the plots grow, and from 34 free rows they are stacked at full width. Every line is
/// at most `columns` characters and there are exactly `rows` lines. Text that comes from the task
/// is stripped of control characters, so a task cannot drive the terminal.
public struct TaskScreen: Sendable {
    /// H-alpha rest wavelength in Å (vacuum).
    public static let halphaRest = 6564.61
    /// The smallest supported terminal.
    public static let minimumColumns = 80, minimumRows = 24

    public var columns: Int
    public var rows: Int
    public var style: TerminalPlot.Style
    /// Extra text for the header's right side (e.g. queue length, connection state).
    public var status: String

    public init(columns: Int, rows: Int, style: TerminalPlot.Style = .braille, status: String = "") {
        self.columns = max(Self.minimumColumns, columns)
        self.rows = max(Self.minimumRows, rows)
        self.style = style
        self.status = status
    }

    /// The screen for `session`: exactly `rows` lines of at most `columns` characters.
    public func lines(for session: LabelSession) -> [String] {
        var header = "balmer label · \(session.labeller) · answered \(session.summary.answeredTotal) · skipped \(session.summary.skipped)"
        if !status.isEmpty { header += " · " + status }
        if case .help = session.mode { return fit([clip(header)] + help(session)) }
        let footer = footerLines(session)
        guard let task = session.shownTask else {
            let waiting = ["", "  Waiting for tasks…", "", "  Tasks appear here as the daemon publishes them; q quits."]
            return fit([clip(header)] + waiting, footer: footer)
        }
        var top = [clip(header), clip(taskLine(task, session: session))]
        var info = infoLines(task)
        // Each link on one line; an address longer than the line is wrapped (so it can be copied
        // whole) while the plots keep at least `minimumPlotRows`, later links first giving way.
        let links = TaskLink.links(for: task)
        var wrapped = links.map { link -> [String] in
            let text = Self.pad(link.name, 7) + " " + link.url
            return text.count <= columns ? [clip(text + (link.note.isEmpty ? "" : "  (\(link.note))"))] : chunks(text)
        }
        let minimumPlotRows = 10
        func spare() -> Int { rows - top.count - info.count - wrapped.reduce(0) { $0 + $1.count } - footer.count }
        var index = wrapped.count - 1
        while spare() < minimumPlotRows, index >= 0 {
            if wrapped[index].count > 1 { wrapped[index] = [clip(wrapped[index].joined())] }
            index -= 1
        }
        while spare() < minimumPlotRows {
            if !wrapped.isEmpty { wrapped.removeLast() } else if !info.isEmpty { info.removeLast() } else { break }
        }
        top += plots(task, rows: spare())
        return fit(top + info + wrapped.flatMap { $0 }, footer: footer)
    }

    // MARK: Parts

    private func taskLine(_ task: TaskEvent, session: LabelSession) -> String {
        let kind = task.kind == .query ? "query (uncertain)" : "precision sample"
        var line = "Task \(Self.clean(task.taskID)) · \(kind) · batch \(Self.clean(task.batchID)) · iteration \(task.iteration)"
            + " · model \(Self.clean(task.modelVersion))"
        if let previous = session.correctedLabel { line = "CORRECTING (was \(previous)) · " + line }
        return line
    }

    /// Probabilities, entropy and model; object and coordinates; observation facts; file.
    func infoLines(_ task: TaskEvent) -> [String] {
        let order = ["single", "double", "other"].filter { task.probabilities[$0] != nil }
            + task.probabilities.keys.filter { !["single", "double", "other"].contains($0) }.sorted()
        let probabilities = order.map { name -> String in
            let p = task.probabilities[name] ?? 0
            let barWidth = columns >= 100 ? 8 : 4
            let bar = String(repeating: style == .braille ? "█" : "#", count: Int((p * Double(barWidth)).rounded()))
            return "P(\(Self.clean(name))) " + String(format: "%.3f", p) + " " + Self.pad(bar, barWidth)
        }.joined(separator: " ")
        var lines = [clip(probabilities + " H " + String(format: "%.3f", task.entropy) + " nats")]
        var object: [String] = []
        if let designation = task.designation { object.append(Self.clean(designation)) }
        if let ra = task.ra, let dec = task.dec {
            object.append("RA \(SkyFormat.rightAscension(ra)) Dec \(SkyFormat.declination(dec)) ("
                          + String(format: "%.5f°, %+.5f°", ra, dec) + ")")
        } else {
            object.append("no coordinates")
        }
        lines.append(clip(object.joined(separator: " · ")))
        var facts = ["spectrum \(Self.clean(task.spectrumID))"]
        if let survey = task.survey { facts.append(Self.clean(survey) + (task.release.map { " " + Self.clean($0) } ?? "")) }
        if let key = task.surveyKey { facts.append("key \(Self.clean(key))") }
        if let mjd = task.mjd { facts.append("MJD " + String(format: "%.0f", mjd)) }
        if let snr = task.snr { facts.append("S/N " + String(format: "%.1f", snr)) }
        if let magnitude = task.magnitude { facts.append("mag " + String(format: "%.2f", magnitude)) }
        lines.append(clip(facts.joined(separator: " · ")))
        lines.append(clipMiddle("file " + Self.clean(task.location)))
        return lines
    }

    private func plots(_ task: TaskEvent, rows available: Int) -> [String] {
        let spectrum = task.spectrum
        let halpha = spectrum.halphaRange.count == 2 ? spectrum.halphaRange[0]...max(spectrum.halphaRange[0], spectrum.halphaRange[1]) : 6519...6732
        let full = spectrum.fullRange.count == 2 ? spectrum.fullRange[0]...max(spectrum.fullRange[0], spectrum.fullRange[1]) : halpha
        let halphaTitle = "Hα " + String(format: "%.0f–%.0f Å", halpha.lowerBound, halpha.upperBound) + ", rest 6564.61 Å vac"
        let fullTitle = "Full spectrum " + String(format: "%.0f–%.0f Å", full.lowerBound, full.upperBound) + " (downsampled)"
        let marker = (wavelength: Self.halphaRest, label: "Hα")
        if available >= 34 {
            let height = (available - 2) / 2
            let top = TerminalPlot(width: columns, height: height, style: style, marker: marker)
            let bottom = TerminalPlot(width: columns, height: available - 2 - height, style: style, marker: marker)
            return [clip(halphaTitle)] + top.render(flux: spectrum.halphaFlux, range: halpha)
                + [clip(fullTitle)] + bottom.render(flux: spectrum.fullFlux, range: full)
        }
        let leftWidth = (columns - 1) / 2, rightWidth = columns - 1 - leftWidth
        let left = TerminalPlot(width: leftWidth, height: available - 1, style: style, marker: marker)
            .render(flux: spectrum.halphaFlux, range: halpha)
        let right = TerminalPlot(width: rightWidth, height: available - 1, style: style, marker: marker)
            .render(flux: spectrum.fullFlux, range: full)
        var lines = [Self.pad(String(halphaTitle.prefix(leftWidth)), leftWidth) + " " + String(fullTitle.prefix(rightWidth))]
        for (a, b) in zip(left, right) { lines.append(a + " " + b) }
        return lines
    }

    private func footerLines(_ session: LabelSession) -> [String] {
        var lines = [clip(session.message.isEmpty ? "" : "» " + Self.clean(session.message))]
        switch session.mode {
        case .comment(let draft):
            lines.append(clip("comment> " + Self.clean(draft) + "▌   (Enter keeps, Esc cancels)"))
        default:
            lines.append(clip(session.comment.map { "comment: " + Self.clean($0) } ?? ""))
        }
        lines.append(clip(LabelSession.keyLine))
        return lines
    }

    private func help(_ session: LabelSession) -> [String] {
        var lines = [
            "", "Keys (any key closes this help)",
            "  s  single: single-peak H-alpha emission",
            "  d  double: double-peak H-alpha emission",
            "  o  other: absorption, noise, artefacts",
            "  k  skip: hand the task back to the queue (you or another labeller get it later)",
            "  u  undo: answer the previous task again (sends a correction); u again goes further back",
            "  c  comment for this answer (Enter keeps it, Esc cancels)",
            "  l  open this task's links with xdg-open",
            "  ?  help        q  quit (also Ctrl-C, Ctrl-D); answered tasks are saved as you go",
            "",
        ]
        if let task = session.shownTask {
            lines.append("Links for task \(Self.clean(task.taskID)):")
            for link in TaskLink.links(for: task) {
                let text = "  \(link.name)\(link.note.isEmpty ? "" : " (\(link.note))"): \(link.url)"
                // Wrapped, not clipped, so the whole address can be copied.
                lines += chunks(text)
            }
        }
        return lines.map(clip)
    }

    // MARK: Layout helpers

    /// `body` and `footer` stacked to exactly `rows` lines (blank lines in between).
    private func fit(_ body: [String], footer: [String] = []) -> [String] {
        let room = rows - footer.count
        var lines = Array(body.prefix(room))
        lines += Array(repeating: "", count: room - lines.count)
        return (lines + footer).map(clip)
    }

    /// `text` cut into lines of `columns` characters.
    private func chunks(_ text: String) -> [String] {
        var lines: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(columns)))
            rest = rest.dropFirst(columns)
        }
        return lines
    }

    private func clip(_ text: String) -> String {
        text.count <= columns ? text : String(text.prefix(columns - 1)) + "…"
    }

    private func clipMiddle(_ text: String) -> String {
        guard text.count > columns else { return text }
        let keep = columns - 1
        return String(text.prefix(keep / 2)) + "…" + String(text.suffix(keep - keep / 2))
    }

    /// Task-supplied text without control characters (no escape sequences reach the terminal).
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format ? "?" : scalar
        }))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
