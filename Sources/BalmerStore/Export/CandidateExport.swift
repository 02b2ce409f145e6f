public import BalmerCore
import Foundation

/// Formats candidates for astronomers: CSV, VOTable 1.4 (TABLEDATA) and JSON lines. Every row
/// carries designation, coordinates, probabilities, entropy, label, model version and links to
/// SIMBAD (by coordinates), VizieR (cone of 5″) and Aladin Lite.
public enum CandidateExport {
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case votable
        case json
    }

    /// One output column: name, VOTable datatype, unit, UCD, description and value.
    struct Column: Sendable {
        var name: String
        var datatype: String
        var unit: String?
        var ucd: String
        var description: String
        var value: @Sendable (CandidateRecord) -> Value
    }

    enum Value: Sendable {
        case text(String?)
        case double(Double?)
        case float(Float?)
        case long(Int64)
        case int(Int)
    }

    static func probability(_ c: CandidateRecord, _ cls: SpectrumClass) -> Float? {
        cls.index < c.probabilities.count ? c.probabilities[cls.index] : nil
    }

    static let columns: [Column] = [
        Column(name: "designation", datatype: "char", unit: nil, ucd: "meta.id;meta.main",
               description: "Survey designation") { .text($0.designation) },
        Column(name: "ra", datatype: "double", unit: "deg", ucd: "pos.eq.ra;meta.main",
               description: "Right ascension (J2000)") { .double($0.ra) },
        Column(name: "dec", datatype: "double", unit: "deg", ucd: "pos.eq.dec;meta.main",
               description: "Declination (J2000)") { .double($0.dec) },
        Column(name: "mjd", datatype: "double", unit: "d", ucd: "time.epoch",
               description: "Modified Julian date of the observation") { .double($0.mjd) },
        Column(name: "survey", datatype: "char", unit: nil, ucd: "meta.dataset",
               description: "Survey") { .text($0.key.survey) },
        Column(name: "release", datatype: "char", unit: nil, ucd: "meta.version",
               description: "Data release") { .text($0.key.release) },
        Column(name: "spectrum_key", datatype: "char", unit: nil, ucd: "meta.id",
               description: "The survey's spectrum identifier") { .text($0.key.key) },
        Column(name: "spectrum_id", datatype: "long", unit: nil, ucd: "meta.record",
               description: "Balmer's spectrum id") { .long($0.spectrumID) },
        Column(name: "class", datatype: "char", unit: nil, ucd: "meta.code.class",
               description: "Final class: the oracle's label if any, else the prediction") { .text($0.finalClass.rawValue) },
        Column(name: "predicted", datatype: "char", unit: nil, ucd: "meta.code.class",
               description: "Class predicted by the model") { .text($0.predicted.rawValue) },
        Column(name: "p_single", datatype: "float", unit: nil, ucd: "stat.probability",
               description: "Probability of single-peak H-alpha emission") { .float(probability($0, .single)) },
        Column(name: "p_double", datatype: "float", unit: nil, ucd: "stat.probability",
               description: "Probability of double-peak H-alpha emission") { .float(probability($0, .double)) },
        Column(name: "p_other", datatype: "float", unit: nil, ucd: "stat.probability",
               description: "Probability of no emission") { .float(probability($0, .other)) },
        Column(name: "entropy", datatype: "float", unit: nil, ucd: "stat.value",
               description: "Shannon entropy of the probabilities (nats)") { .float($0.entropy) },
        Column(name: "label", datatype: "char", unit: nil, ucd: "meta.code.class",
               description: "Latest oracle label, empty if none") { .text($0.label?.rawValue) },
        Column(name: "labeller", datatype: "char", unit: nil, ucd: "meta.id",
               description: "Who gave the label") { .text($0.labeller) },
        Column(name: "label_source", datatype: "char", unit: nil, ucd: "meta.code",
               description: "initial, query or precision") { .text($0.labelSource?.rawValue) },
        Column(name: "model_version", datatype: "int", unit: nil, ucd: "meta.version",
               description: "Version of the model that scored the spectrum") { .int($0.modelVersion) },
        Column(name: "location", datatype: "char", unit: nil, ucd: "meta.ref;meta.file",
               description: "Location of the FITS file") { .text($0.location) },
        Column(name: "simbad_url", datatype: "char", unit: nil, ucd: "meta.ref.url",
               description: "SIMBAD objects within 5 arcsec") { .text(links($0)?.simbad) },
        Column(name: "vizier_url", datatype: "char", unit: nil, ucd: "meta.ref.url",
               description: "VizieR catalogue entries within 5 arcsec") { .text(links($0)?.vizier) },
        Column(name: "aladin_url", datatype: "char", unit: nil, ucd: "meta.ref.url",
               description: "Aladin Lite view") { .text(links($0)?.aladin) },
    ]

    /// Links for a position, `nil` without coordinates.
    public static func links(_ c: CandidateRecord) -> (simbad: String, vizier: String, aladin: String)? {
        guard let ra = c.ra, let dec = c.dec else { return nil }
        let coord = String(format: "%.6f%%20%@%.6f", ra, dec < 0 ? "-" : "%2B", abs(dec))
        return (
            "https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=\(coord)&CooFrame=ICRS&Radius=5&Radius.unit=arcsec",
            "https://vizier.cds.unistra.fr/viz-bin/VizieR-4?-c=\(coord)&-c.rs=5",
            "https://aladin.cds.unistra.fr/AladinLite/?target=\(coord)&fov=0.05")
    }

    /// The whole export as text.
    public static func render(_ rows: [CandidateRecord], format: Format, modelVersion: Int?) -> String {
        switch format {
        case .csv: csv(rows)
        case .votable: votable(rows, modelVersion: modelVersion)
        case .json: jsonLines(rows)
        }
    }

    static func text(_ v: Value) -> String {
        switch v {
        case .text(let s): s ?? ""
        case .double(let d): d.map { "\($0)" } ?? ""
        case .float(let f): f.map { "\($0)" } ?? ""
        case .long(let l): "\(l)"
        case .int(let i): "\(i)"
        }
    }

    /// RFC 4180 CSV with a header row.
    public static func csv(_ rows: [CandidateRecord]) -> String {
        var out = columns.map(\.name).joined(separator: ",") + "\r\n"
        for r in rows { out += columns.map { CSVField.escaped(text($0.value(r))) }.joined(separator: ",") + "\r\n" }
        return out
    }

    /// One JSON object per line, keys as the CSV header, nulls for missing values.
    public static func jsonLines(_ rows: [CandidateRecord]) -> String {
        var out = ""
        for r in rows {
            var obj: [String: Any] = [:]
            for c in columns {
                switch c.value(r) {
                case .text(let s): obj[c.name] = s ?? NSNull()
                case .double(let d): obj[c.name] = d.map { $0 as Any } ?? NSNull()
                case .float(let f): obj[c.name] = f.map { Double($0) as Any } ?? NSNull()
                case .long(let l): obj[c.name] = l
                case .int(let i): obj[c.name] = i
                }
            }
            let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data("{}".utf8)
            out += String(decoding: data, as: UTF8.self) + "\n"
        }
        return out
    }

    /// A VOTable 1.4 document with one TABLE in TABLEDATA serialization.
    public static func votable(_ rows: [CandidateRecord], modelVersion: Int?) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"
              xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
              xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.4">
             <RESOURCE name="balmer" type="results">
              <DESCRIPTION>Emission-line star candidates found by Balmer (active deep learning on H-alpha spectra)</DESCRIPTION>

            """
        if let modelVersion { out += "  <INFO name=\"model_version\" value=\"\(modelVersion)\"/>\n" }
        out += "  <COOSYS ID=\"J2000\" system=\"ICRS\"/>\n"
        out += "  <TABLE name=\"candidates\" nrows=\"\(rows.count)\">\n"
        for c in columns {
            out += "   <FIELD name=\"\(c.name)\" datatype=\"\(c.datatype)\""
            if c.datatype == "char" { out += " arraysize=\"*\"" }
            if let unit = c.unit { out += " unit=\"\(unit)\"" }
            if c.name == "ra" || c.name == "dec" { out += " ref=\"J2000\"" }
            out += " ucd=\"\(c.ucd)\">\n    <DESCRIPTION>\(xml(c.description))</DESCRIPTION>\n   </FIELD>\n"
        }
        out += "   <DATA>\n    <TABLEDATA>\n"
        for r in rows {
            out += "     <TR>"
            for c in columns { out += "<TD>" + xml(text(c.value(r))) + "</TD>" }
            out += "</TR>\n"
        }
        out += "    </TABLEDATA>\n   </DATA>\n  </TABLE>\n </RESOURCE>\n</VOTABLE>\n"
        return out
    }

    static func xml(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
