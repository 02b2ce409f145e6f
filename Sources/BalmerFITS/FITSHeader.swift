/// The keywords of one HDU, parsed once from its 80-character cards.
///
/// Reading the cards once is much cheaper than asking cfitsio for each keyword (every miss scans
/// the whole header and takes cfitsio's global lock to record an error message).
struct FITSHeader {
    /// The header's cards, 80 bytes each, as read from the file.
    private let cards: [UInt8]

    init() {
        cards = []
    }

    /// Keeps concatenated 80-character cards; values are parsed on lookup.
    init(cards: [UInt8]) {
        self.cards = cards
    }

    /// The raw value text of the first card named `key`: strings unquoted (with `''` unescaped)
    /// and trimmed at the end; other values trimmed. A linear scan over a few hundred cards with
    /// byte comparisons is cheaper than building a dictionary of every card.
    private func value(_ key: String) -> String? {
        let name = Array(key.utf8)
        guard name.count <= 8 else { return nil }
        return cards.withUnsafeBufferPointer { all -> String? in
            var start = 0
            while start + 80 <= all.count {
                defer { start += 80 }
                guard all[start + 8] == UInt8(ascii: "="), all[start + 9] == UInt8(ascii: " ") else { continue }
                var matches = true
                for i in 0..<8 where all[start + i] != (i < name.count ? name[i] : UInt8(ascii: " ")) {
                    matches = false
                    break
                }
                guard matches else { continue }
                return Self.value(of: UnsafeBufferPointer(rebasing: all[start..<(start + 80)]))
            }
            return nil
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
    func string(_ key: String) -> String? { value(key) }

    /// A keyword as a finite number (numeric strings and Fortran `D` exponents convert), else `nil`.
    func double(_ key: String) -> Double? {
        guard let text = value(key)?.trimmingCharacters(in: .whitespaces) else { return nil }
        let value = Double(text) ?? Double(text.replacingOccurrences(of: "D", with: "E"))
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// A logical keyword (`T` / `F`), `nil` when absent or not logical.
    func bool(_ key: String) -> Bool? {
        switch value(key) {
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
