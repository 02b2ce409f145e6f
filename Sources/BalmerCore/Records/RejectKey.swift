/// The bounded, printable form of a refused message's key (`rejects.key`, a dead letter's
/// `original_key`), so a hostile key can neither break the row (NUL, invalid UTF-8, a key too
/// long for the btree index) nor be mistaken for another one.
///
/// A key that is valid UTF-8, at most ``maxBytes`` bytes and free of control characters (C0, DEL,
/// C1) is kept as it is. Any other key becomes `<printable prefix>…#sha256:<first 16 hex digits
/// of the SHA-256 of the raw bytes>`: invalid UTF-8 is replaced by U+FFFD, control characters are
/// written `\u{XX}`, and the prefix is cut (on a scalar boundary) so the whole key stays within
/// ``maxBytes`` bytes. Two different raw keys thus keep different printable keys (up to a 64-bit
/// digest collision), and the same raw key always maps to the same printable key (replays
/// deduplicate on `rejects`' natural key).
public enum RejectKey {
    /// The longest printable key in UTF-8 bytes (the btree row limit is ~2,700 bytes).
    public static let maxBytes = 200

    /// The printable key of the raw key bytes.
    public static func printable<C: Collection>(_ raw: C) -> String where C.Element == UInt8 {
        let bytes = Array(raw)
        if bytes.count <= maxBytes, let text = String(validating: bytes, as: UTF8.self),
           !text.unicodeScalars.contains(where: isControl) {
            return text
        }
        let suffix = "…#sha256:" + String(SHA256.hex(bytes).prefix(16))
        let budget = maxBytes - suffix.utf8.count
        var prefix = ""
        var used = 0
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            let piece = isControl(scalar) ? "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" : String(scalar)
            guard used + piece.utf8.count <= budget else { break }
            prefix += piece
            used += piece.utf8.count
        }
        return prefix + suffix
    }

    /// The printable key of a text key (its UTF-8 bytes).
    public static func printable(_ text: String) -> String { printable(Array(text.utf8)) }

    /// `text` without control characters (written `\u{XX}`), cut to at most `maxBytes` UTF-8 bytes
    /// on a scalar boundary (with `…` when cut). For reasons and messages that echo input.
    public static func printableText(_ text: String, maxBytes: Int) -> String {
        var pieces: [String] = []
        for scalar in text.unicodeScalars {
            pieces.append(isControl(scalar) ? "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" : String(scalar))
        }
        let whole = pieces.joined()
        if whole.utf8.count <= maxBytes { return whole }
        var out = ""
        var used = 0
        for piece in pieces {
            guard used + piece.utf8.count <= maxBytes - 3 else { break }
            out += piece
            used += piece.utf8.count
        }
        return out + "…"
    }

    /// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): general category Cc.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
