/// The keywords of one HDU, parsed once from its 80-character cards.
///
/// Reading the header in one pass is much cheaper than asking cfitsio for each keyword (every
/// miss scans the whole header and takes cfitsio's global lock to record an error message).
struct FITSHeader {
    /// Raw value text per keyword: strings unquoted (with `''` unescaped) and trimmed at the end;
    /// other values trimmed. The first occurrence of a keyword wins.
    private(set) var values: [String: String] = [:]

    init() {}

    /// Parses concatenated 80-character cards.
    init(cards: UnsafeBufferPointer<UInt8>) {
        var start = 0
        while start + 10 <= cards.count {
            let card = UnsafeBufferPointer(rebasing: cards[start..<min(start + 80, cards.count)])
            start += 80
            guard card[8] == UInt8(ascii: "="), card[9] == UInt8(ascii: " ") else { continue }
            let key = String(decoding: card[0..<8], as: UTF8.self).trimmingTrailingSpaces()
            guard !key.isEmpty, values[key] == nil, let value = Self.value(of: card) else { continue }
            values[key] = value
        }
    }

    private static func value(of card: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 10
        while i < card.count, card[i] == UInt8(ascii: " ") { i += 1 }
        guard i < card.count else { return nil }
        if card[i] == UInt8(ascii: "'") {
            var bytes: [UInt8] = []
            i += 1
            while i < card.count {
                if card[i] == UInt8(ascii: "'") {
                    if i + 1 < card.count, card[i + 1] == UInt8(ascii: "'") {
                        bytes.append(card[i])
                        i += 2
                        continue
                    }
                    break
                }
                bytes.append(card[i])
                i += 1
            }
            let text = String(decoding: bytes, as: UTF8.self).trimmingTrailingSpaces()
            return text.isEmpty ? nil : text
        }
        var end = i
        while end < card.count, card[end] != UInt8(ascii: "/") { end += 1 }
        let text = String(decoding: card[i..<end], as: UTF8.self).trimmingTrailingSpaces()
        return text.isEmpty ? nil : text
    }

    /// A keyword as text, `nil` when absent or blank.
    func string(_ key: String) -> String? { values[key] }

    /// A keyword as a finite number (numeric strings and Fortran `D` exponents convert), else `nil`.
    func double(_ key: String) -> Double? {
        guard let text = values[key]?.trimmingCharacters(in: .whitespaces) else { return nil }
        let value = Double(text) ?? Double(text.replacingOccurrences(of: "D", with: "E"))
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// A logical keyword (`T` / `F`), `nil` when absent or not logical.
    func bool(_ key: String) -> Bool? {
        switch values[key] {
        case "T": true
        case "F": false
        default: nil
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}

import Foundation
