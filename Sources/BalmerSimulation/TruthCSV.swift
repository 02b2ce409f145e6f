import BalmerCore
import Foundation

/// Reads and writes `truth.csv`: header `file,class,subtype,snr,radial_velocity,artefacts`, one row
/// per spectrum, artefacts joined by `;` (empty when none). Fields holding `,`, `"` or a line break
/// are quoted RFC 4180 style. Numbers are written in Swift's shortest round-trip form, so a
/// write/read round trip gives back equal records.
public enum TruthCSV {
    /// The header line, without line break.
    public static let header = "file,class,subtype,snr,radial_velocity,artefacts"

    /// The whole CSV text (header and one line per record, each ending in `\n`).
    public static func text(of records: [TruthRecord]) -> String {
        var out = header + "\n"
        for r in records {
            let fields = [
                r.file, r.label.rawValue, r.subtype, "\(r.snr)", "\(r.radialVelocity)",
                r.artefacts.joined(separator: ";"),
            ]
            out += fields.map(CSVField.escaped).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Writes `records` to `path` atomically (UTF-8).
    public static func write(_ records: [TruthRecord], to path: String) throws {
        do {
            try text(of: records).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw TruthCSVError(path: path, line: nil, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads the records of a file written by ``write(_:to:)``.
    public static func read(contentsOf path: String) throws -> [TruthRecord] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TruthCSVError(path: path, line: nil, reason: "cannot read: \(error.localizedDescription)")
        }
        return try records(parsing: text, path: path)
    }

    /// Parses CSV text; `path` only labels errors.
    public static func records(parsing text: String, path: String = "<string>") throws -> [TruthRecord] {
        let rows = try parseRows(text, path: path)
        guard let first = rows.first else { throw TruthCSVError(path: path, line: 1, reason: "empty file") }
        guard first.joined(separator: ",") == header else {
            throw TruthCSVError(path: path, line: 1, reason: "header is not '\(header)'")
        }
        var out: [TruthRecord] = []
        out.reserveCapacity(rows.count - 1)
        for (offset, row) in rows.dropFirst().enumerated() {
            let line = offset + 2
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == 6 else {
                throw TruthCSVError(path: path, line: line, reason: "expected 6 fields, found \(row.count)")
            }
            guard let label = SpectrumClass(rawValue: row[1]) else {
                throw TruthCSVError(path: path, line: line, reason: "unknown class '\(row[1])'")
            }
            guard let snr = Double(row[3]) else {
                throw TruthCSVError(path: path, line: line, reason: "snr '\(row[3])' is not a number")
            }
            guard let rv = Double(row[4]) else {
                throw TruthCSVError(path: path, line: line, reason: "radial_velocity '\(row[4])' is not a number")
            }
            let artefacts = row[5].isEmpty ? [] : row[5].split(separator: ";").map(String.init)
            out.append(
                TruthRecord(
                    file: row[0], label: label, subtype: row[2], snr: snr, radialVelocity: rv, artefacts: artefacts))
        }
        return out
    }

    /// Splits RFC 4180 CSV into rows of fields.
    private static func parseRows(_ text: String, path: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextScalar() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return iterator.next()
        }
        while let c = nextScalar() {
            if inQuotes {
                if c == "\"" {
                    if let n = iterator.next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false
                            pending = n
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                inQuotes = true
            case ",":
                row.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                line += 1
            default:
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw TruthCSVError(path: path, line: line, reason: "unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}

/// A `truth.csv` that could not be read or written.
public struct TruthCSVError: Error, Sendable, CustomStringConvertible {
    /// The file concerned.
    public var path: String
    /// 1-based line number, when the problem is in the content.
    public var line: Int?
    /// Human-readable reason.
    public var reason: String
    public var description: String {
        if let line { return "\(path):\(line): \(reason)" }
        return "\(path): \(reason)"
    }
}
