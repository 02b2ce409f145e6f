import Foundation

/// One row of the Ondřejov dataset CSV: a labelled spectrum resampled onto the 140-point grid.
public struct OndrejovDatasetRow: Sendable, Equatable {
    /// Spectrum identifier (the frame name, e.g. `a201306060018`).
    public var id: String
    /// Class, parsed from the dataset label (`emission`, `double-peak`, `absorption`).
    public var label: SpectrumClass
    /// The 10 other metadata columns by header name (`object`, `ra`, `dec`, …); missing keys
    /// are written as empty fields.
    public var metadata: [String: String]
    /// Flux per grid wavelength, unscaled (ADU as published).
    public var flux: [Float]

    public init(id: String, label: SpectrumClass, metadata: [String: String] = [:], flux: [Float]) {
        self.id = id
        self.label = label
        self.metadata = metadata
        self.flux = flux
    }
}

/// Errors reading or writing the dataset CSV; each names the file and, for rows, the 1-based
/// line where the record starts.
public enum OndrejovDatasetCSVError: Error, Sendable, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)
    case badHeader(path: String, reason: String)
    case wrongColumnCount(path: String, line: Int, expected: Int, found: Int)
    case unknownLabel(path: String, line: Int, label: String)
    case nonNumericFlux(path: String, line: Int, column: String, value: String)
    case unterminatedQuote(path: String, line: Int)
    case inconsistentRow(id: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): "\(path): \(reason)"
        case let .badHeader(path, reason): "\(path):1: bad header: \(reason)"
        case let .wrongColumnCount(path, line, expected, found): "\(path):\(line): expected \(expected) columns, found \(found)"
        case let .unknownLabel(path, line, label): "\(path):\(line): unknown label '\(label)' (expected emission, double-peak or absorption)"
        case let .nonNumericFlux(path, line, column, value): "\(path):\(line): flux column \(column) is not a number: '\(value)'"
        case let .unterminatedQuote(path, line): "\(path):\(line): unterminated quoted field"
        case let .inconsistentRow(id, reason): "row \(id): \(reason)"
        }
    }
}

/// Reader and writer of the Ondřejov dataset CSV layout (podondra/ondrejov-dataset): header
/// `id,label,object,ra,dec,expval,gratang,detector,chipid,specfilt,date-obs,dichmir` followed by
/// one column per wavelength (Å, the 140 values of `linspace(6519, 6732, 140)`), one spectrum per
/// row. RFC 4180 quoting (fields with commas, quotes or newlines are quoted, quotes doubled).
/// Flux is stored unscaled; an empty flux field reads as NaN. A leading unnamed index column
/// (as pandas writes) is ignored.
public enum OndrejovDatasetCSV {
    /// The metadata columns after `id` and `label`, in file order.
    public static let metadataColumns = [
        "object", "ra", "dec", "expval", "gratang", "detector", "chipid", "specfilt", "date-obs", "dichmir",
    ]

    /// The dataset's grid: 140 wavelengths evenly spaced over 6519–6732 Å (`linspace`).
    public static let wavelengths: [Double] = (0..<140).map { 6519 + Double($0) * (6732 - 6519) / 139 }

    /// Reads all rows of the file at `path`.
    public static func read(contentsOf path: String) throws(OndrejovDatasetCSVError) -> [OndrejovDatasetRow] {
        try readWithWavelengths(contentsOf: path).rows
    }

    /// Reads the file at `path`, also returning the wavelengths named by its flux columns.
    public static func readWithWavelengths(contentsOf path: String) throws(OndrejovDatasetCSVError)
        -> (wavelengths: [Double], rows: [OndrejovDatasetRow]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        return try parse(data, path: path)
    }

    /// Parses CSV bytes (`path` names the source in errors).
    public static func parse(_ data: Data, path: String) throws(OndrejovDatasetCSVError)
        -> (wavelengths: [Double], rows: [OndrejovDatasetRow]) {
        var records = try CSVRecords(bytes: [UInt8](data), path: path)
        guard var header = try records.next()?.fields else { throw .badHeader(path: path, reason: "empty file") }
        let indexColumn = header.first == ""
        if indexColumn { header.removeFirst() }
        let fixed = ["id", "label"] + metadataColumns
        guard header.count > fixed.count, Array(header.prefix(fixed.count)) == fixed else {
            throw .badHeader(path: path, reason: "expected \(fixed.joined(separator: ",")) then wavelength columns")
        }
        var wavelengths: [Double] = []
        for name in header.dropFirst(fixed.count) {
            guard let w = Double(name.trimmingCharacters(in: .whitespaces)), w.isFinite else {
                throw .badHeader(path: path, reason: "flux column '\(name)' is not a wavelength")
            }
            wavelengths.append(w)
        }
        var rows: [OndrejovDatasetRow] = []
        while let (line, fieldsIn) = try records.next() {
            var fields = fieldsIn
            if fields.count == 1, fields[0].isEmpty { continue }   // blank line
            if indexColumn, !fields.isEmpty { fields.removeFirst() }
            guard fields.count == header.count else {
                throw .wrongColumnCount(path: path, line: line, expected: header.count + (indexColumn ? 1 : 0),
                                        found: fields.count + (indexColumn ? 1 : 0))
            }
            guard let label = SpectrumClass(label: fields[1]) else {
                throw .unknownLabel(path: path, line: line, label: fields[1])
            }
            var metadata: [String: String] = [:]
            for (i, name) in metadataColumns.enumerated() { metadata[name] = fields[2 + i] }
            var flux: [Float] = []
            flux.reserveCapacity(wavelengths.count)
            for (i, text) in fields.dropFirst(fixed.count).enumerated() {
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { flux.append(.nan); continue }
                guard let v = Float(trimmed) else {
                    throw .nonNumericFlux(path: path, line: line, column: header[fixed.count + i], value: text)
                }
                flux.append(v)
            }
            rows.append(OndrejovDatasetRow(id: fields[0], label: label, metadata: metadata, flux: flux))
        }
        return (wavelengths, rows)
    }

    /// Writes `rows` with flux columns named by `wavelengths` (use ``wavelengths`` for the
    /// dataset grid). Every row's flux must have one value per wavelength.
    public static func write(_ rows: [OndrejovDatasetRow], wavelengths: [Double], to path: String)
        throws(OndrejovDatasetCSVError) {
        let out = try text(of: rows, wavelengths: wavelengths)
        do { try Data(out.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    /// The CSV text ``write(_:wavelengths:to:)`` writes, which ``parse(_:path:)`` reads back.
    public static func text(of rows: [OndrejovDatasetRow], wavelengths: [Double])
        throws(OndrejovDatasetCSVError) -> String {
        var out = ""
        out.reserveCapacity(rows.count * wavelengths.count * 10 + 1024)
        out += (["id", "label"] + metadataColumns).joined(separator: ",")
        for w in wavelengths { out += "," + CSVField.escaped("\(w)") }
        out += "\n"
        for row in rows {
            guard row.flux.count == wavelengths.count else {
                throw .inconsistentRow(id: row.id, reason: "\(row.flux.count) flux values for \(wavelengths.count) wavelengths")
            }
            out += CSVField.escaped(row.id) + "," + row.label.ondrejovLabel
            for name in metadataColumns { out += "," + CSVField.escaped(row.metadata[name] ?? "") }
            for v in row.flux { out += "," + (v.isNaN ? "" : "\(v)") }
            out += "\n"
        }
        return out
    }
}

/// Splits CSV bytes into records of fields, tracking the 1-based line each record starts on.
private struct CSVRecords {
    let bytes: [UInt8]
    let path: String
    var index = 0
    var line = 1

    init(bytes: [UInt8], path: String) throws(OndrejovDatasetCSVError) {
        var b = bytes
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { b.removeFirst(3) }   // UTF-8 BOM
        self.bytes = b
        self.path = path
    }

    mutating func next() throws(OndrejovDatasetCSVError) -> (line: Int, fields: [String])? {
        guard index < bytes.count else { return nil }
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") { field.append(c); index += 1 } else { inQuotes = false }
                } else {
                    if c == UInt8(ascii: "\n") { line += 1 }
                    field.append(c)
                }
            } else if c == UInt8(ascii: "\"") && field.isEmpty {
                inQuotes = true
            } else if c == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true)
            } else if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                if c == UInt8(ascii: "\r"), index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return (start, fields)
            } else {
                field.append(c)
            }
        }
        if inQuotes { throw .unterminatedQuote(path: path, line: start) }
        fields.append(String(decoding: field, as: UTF8.self))
        return (start, fields)
    }
}
