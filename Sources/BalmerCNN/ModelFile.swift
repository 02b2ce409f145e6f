internal import BalmerCore
import Foundation

/// Reading and writing models as safetensors files: an 8-byte little-endian header length, a
/// JSON header, then the raw little-endian float32 tensors back to back.
///
/// Header entries: one per tensor (`conv{i}.weight` `[kernel, C_in, C_out]`, `conv{i}.bias`,
/// `dense{j}.weight` `[in, out]`, `dense{j}.bias`) with `dtype` `F32`, `shape` and
/// `data_offsets`, and `__metadata__` (all values strings): `format` (`balmer-cnn/1`),
/// `architecture` (``Architecture/notation``), `classes` (JSON array of names),
/// `preprocessing`, `created` (ISO 8601), `parent` (hex or empty), `training` (JSON or empty),
/// `sha256` (hex digest of the whole data section). Dense layers after convolutions flatten
/// length-major then channel, as Keras channels_last.
extension CNNModel {
    /// The format tag written to and required in `__metadata__.format`.
    public static let fileFormat = "balmer-cnn/1"

    /// Writes the model atomically to `path`.
    public func write(to path: String) throws(CNNError) {
        do {
            try Data(safetensorsBytes()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads and fully checks a model file; throws ``CNNError/invalidModelFile(path:reason:)``
    /// for anything corrupt, truncated or inconsistent.
    public static func load(contentsOf path: String) throws(CNNError) -> CNNModel {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
        return try CNNModel(safetensors: [UInt8](data), path: path)
    }

    /// The file's bytes.
    public func safetensorsBytes() -> [UInt8] {
        var entries: [String] = []
        var offset = 0
        for (name, shape) in (try? architecture.parameterTensors()) ?? [] {
            let bytes = shape.reduce(1, *) * 4
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        let tensors = tensorBytes()
        var meta: [(String, String)] = [
            ("format", Self.fileFormat),
            ("architecture", architecture.notation),
            ("classes", "[" + info.classNames.map(jsonString).joined(separator: ",") + "]"),
            ("preprocessing", info.preprocessing),
            ("created", Self.dateFormatter().string(from: info.created)),
            ("parent", info.parent ?? ""),
            ("training", ""),
            ("sha256", SHA256.hex(tensors)),
        ]
        if let t = info.training, let json = try? Self.encoder().encode(t) {
            meta[6].1 = String(decoding: json, as: UTF8.self)
        }
        let metaJSON = "{" + meta.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        var header = Array(("{\"__metadata__\":" + metaJSON + "," + entries.joined(separator: ",") + "}").utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var out = [UInt8](); out.reserveCapacity(8 + header.count + tensors.count)
        let n = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += header
        out += tensors
        return out
    }

    /// Parses and checks safetensors bytes (`path` is only used in error messages).
    public init(safetensors bytes: [UInt8], path: String = "<memory>") throws(CNNError) {
        func fail(_ reason: String) -> CNNError { .invalidModelFile(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw fail("too short for a safetensors header (\(bytes.count) bytes)") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8), headerLength < 100_000_000 else {
            throw fail("header length \(headerLength) does not fit a file of \(bytes.count) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
              let header = object as? [String: Any]
        else { throw fail("header is not a JSON object") }
        guard let meta = header["__metadata__"] as? [String: String] else {
            throw fail("missing or non-string __metadata__")
        }
        guard meta["format"] == Self.fileFormat else {
            throw fail("format is '\(meta["format"] ?? "absent")', expected '\(Self.fileFormat)'")
        }
        let architecture: Architecture
        do { architecture = try Architecture(notation: meta["architecture"] ?? "") } catch {
            throw fail("bad architecture: \(error)")
        }
        guard let classJSON = meta["classes"]?.data(using: .utf8),
              let classNames = (try? JSONSerialization.jsonObject(with: classJSON)) as? [String],
              classNames.count == architecture.classes
        else { throw fail("classes must be a JSON array of \(architecture.classes) names") }
        // Years outside 2000–2199 are no creation time of a Balmer model (fuzzing found that a
        // year such as "-026" parses but does not write back the same).
        guard let createdText = meta["created"], let created = Self.dateFormatter().date(from: createdText),
              (946_684_800..<7_258_118_400).contains(created.timeIntervalSince1970)
        else {
            throw fail("bad or missing creation time")
        }
        var training: TrainingSummary?
        if let t = meta["training"], !t.isEmpty {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            guard let s = try? decoder.decode(TrainingSummary.self, from: Data(t.utf8)) else {
                throw fail("unreadable training summary")
            }
            training = s
        }
        let expected = (try? architecture.parameterTensors()) ?? []
        let tensorKeys = Set(header.keys).subtracting(["__metadata__"])
        let expectedNames = Set(expected.map(\.name))
        guard tensorKeys == expectedNames else {
            let missing = expectedNames.subtracting(tensorKeys).sorted(), extra = tensorKeys.subtracting(expectedNames).sorted()
            throw fail("tensors do not match the architecture (missing \(missing), unexpected \(extra))")
        }
        let dataStart = headerEnd, dataLength = bytes.count - headerEnd
        var parameters: [Float] = []
        parameters.reserveCapacity(dataLength / 4)
        var ranges: [(Int, Int)] = []
        for (name, shape) in expected {
            guard let entry = header[name] as? [String: Any], entry["dtype"] as? String == "F32" else {
                throw fail("\(name): missing or not F32")
            }
            guard let fileShape = entry["shape"] as? [Int], fileShape == shape else {
                throw fail("\(name): shape \(String(describing: entry["shape"] ?? "absent")) but the architecture needs \(shape)")
            }
            // Bounds first: offsets near Int.max must not overflow the subtraction.
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataLength,
                  offsets[1] - offsets[0] == shape.reduce(1, *) * 4
            else { throw fail("\(name): bad data_offsets") }
            ranges.append((offsets[0], offsets[1]))
            for i in stride(from: dataStart + offsets[0], to: dataStart + offsets[1], by: 4) {
                let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                parameters.append(Float(bitPattern: bits))
            }
        }
        let sorted = ranges.sorted { $0.0 < $1.0 }
        var cursor = 0
        for (b, e) in sorted {
            guard b == cursor else { throw fail("tensor data overlaps or leaves gaps at byte \(b)") }
            cursor = e
        }
        guard cursor == dataLength else {
            throw fail("data section is \(dataLength) bytes but the tensors need \(cursor)")
        }
        guard let digest = meta["sha256"], digest == SHA256.hex(bytes[dataStart...]) else {
            throw fail("sha256 of the tensor data does not match the header (file corrupt)")
        }
        guard parameters.allSatisfy(\.isFinite) else { throw fail("non-finite weights") }
        let info = ModelInfo(classNames: classNames, preprocessing: meta["preprocessing"] ?? "", created: created,
                             parent: (meta["parent"] ?? "").isEmpty ? nil : meta["parent"], training: training)
        try self.init(architecture: architecture, parameters: parameters, info: info)
    }

    static func dateFormatter() -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
}

/// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
