/// One key press as the labelling session sees it.
public enum LabelKey: Sendable, Hashable {
    /// A printable character (letters, digits, punctuation, space, any Unicode text).
    case character(Character)
    case enter, backspace, escape
    /// Ctrl-C (arrives as a byte in raw mode).
    case interrupt
    /// Ctrl-D.
    case endOfInput
    /// Anything else (arrow and function keys, other control bytes): ignored.
    case other
}

/// Turns raw terminal bytes into keys (UTF-8 text, `ESC [ … final` sequences, control bytes).
/// Pure: feed it the bytes of each `read`.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// The keys in `bytes` plus any bytes held from before. A lone `ESC` at the end of a chunk is
    /// an Escape key; an incomplete UTF-8 sequence is held for the next chunk.
    public mutating func keys(from bytes: [UInt8]) -> [LabelKey] {
        let input = pending + bytes
        pending = []
        var keys: [LabelKey] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            switch byte {
            case 0x1B:
                guard index + 1 < input.count else { keys.append(.escape); index += 1; continue }
                let next = input[index + 1]
                if next == 0x5B || next == 0x4F {  // CSI or SS3: skip to the final byte
                    var end = index + 2
                    if next == 0x5B { while end < input.count, (0x20...0x3F).contains(input[end]) { end += 1 } }
                    keys.append(.other)
                    index = min(end + 1, input.count)
                } else {
                    keys.append(.escape)
                    index += 1
                }
            case 0x0D, 0x0A: keys.append(.enter); index += 1
            case 0x7F, 0x08: keys.append(.backspace); index += 1
            case 0x03: keys.append(.interrupt); index += 1
            case 0x04: keys.append(.endOfInput); index += 1
            case 0x00..<0x20: keys.append(.other); index += 1
            default:
                let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                guard index + length <= input.count else { pending = Array(input[index...]); return keys }
                let text = String(decoding: input[index..<index + length], as: UTF8.self)
                keys.append(text.first.map { .character($0) } ?? .other)
                index += length
            }
        }
        return keys
    }
}
