import BalmerBus
import Foundation

/// A named web page about a task's object.
public struct TaskLink: Sendable, Hashable {
    public var name: String
    public var url: String
    /// A short caveat shown beside the link (e.g. `best effort`), or empty.
    public var note: String

    public init(name: String, url: String, note: String = "") {
        self.name = name
        self.url = url
        self.note = note
    }
}

extension TaskLink {
    /// Links for a task: SIMBAD, VizieR and Aladin Lite around its coordinates (10″ cone), and the
    /// survey's own spectrum page when the survey and its key are known (best effort: page
    /// addresses differ between releases).
    public static func links(for task: TaskEvent) -> [TaskLink] {
        var links: [TaskLink] = []
        if let ra = task.ra, let dec = task.dec {
            let coordinates = String(format: "%.6f", ra) + "+" + String(format: "%+.6f", dec).replacingOccurrences(of: "+", with: "%2B")
            links.append(TaskLink(name: "SIMBAD", url: "https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=\(coordinates)&Radius=10&Radius.unit=arcsec"))
            links.append(TaskLink(name: "VizieR", url: "https://vizier.cds.unistra.fr/viz-bin/VizieR-4?-c=\(coordinates)&-c.rs=10"))
            links.append(TaskLink(name: "Aladin", url: "https://aladin.cds.unistra.fr/AladinLite/?target=\(coordinates)&fov=0.05"))
        }
        if let survey = surveyLink(for: task) { links.append(survey) }
        return links
    }

    /// The survey's own page: LAMOST by obsid (a numeric survey key), SDSS by coordinates.
    static func surveyLink(for task: TaskEvent) -> TaskLink? {
        switch task.survey?.lowercased() {
        case "lamost"?:
            guard let key = task.surveyKey, !key.isEmpty, key.allSatisfy(\.isASCII), key.allSatisfy(\.isNumber) else { return nil }
            let release = (task.release ?? "dr9").lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
            return TaskLink(name: "LAMOST", url: "https://www.lamost.org/\(release)/v2.0/spectrum/view?obsid=\(key)", note: "best effort")
        case "sdss"?:
            guard let ra = task.ra, let dec = task.dec else { return nil }
            return TaskLink(name: "SDSS", url: String(format: "https://skyserver.sdss.org/dr18/VisualTools/explore/summary?ra=%.6f&dec=%.6f", ra, dec),
                            note: "best effort")
        default:
            return nil
        }
    }
}
