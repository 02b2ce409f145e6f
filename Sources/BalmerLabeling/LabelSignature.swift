import BalmerBus
import Foundation

/// The bytes a labeller signs, the one definition shared by `balmer label` (which signs) and
/// balmerd (which verifies).
///
/// The message is a domain tag followed by every field that decides what an answer means, in a
/// fixed order, each length-prefixed so that no two different events give the same bytes (a
/// comment `a|b` cannot pass for a shifted field boundary, an absent comment differs from an
/// empty one):
///
/// - strings: 4-byte big-endian length of the UTF-8 bytes, then the bytes;
/// - optional strings: byte 0 when absent, else byte 1 and the string;
/// - `time`: whole milliseconds since 1970 (the precision the event's JSON carries, rounded like
///   ``EventCodec``), 8 bytes big-endian two's complement.
///
/// Fields in order: `task_id`, `spectrum_id`, `label`, `labeller`, `time`, `comment`, `corrects`.
/// The signature itself is not signed. A new signed field needs a new domain tag.
public enum LabelSignature {
    /// Names the message format; part of the signed bytes.
    public static let domain = "balmer.label/ed25519/v1"

    /// The signed bytes of `event` (its `signature` is ignored).
    public static func message(of event: LabelEvent) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + event.taskID.utf8.count + (event.comment?.utf8.count ?? 0))
        append(domain, to: &bytes)
        append(event.taskID, to: &bytes)
        append(event.spectrumID, to: &bytes)
        append(event.label, to: &bytes)
        append(event.labeller, to: &bytes)
        append(milliseconds(event.time), to: &bytes)
        append(optional: event.comment, to: &bytes)
        append(optional: event.corrects, to: &bytes)
        return bytes
    }

    /// `event` with its `signature` set by `key` (whose labeller must be the event's).
    public static func sign(_ event: LabelEvent, with key: LabelSigningKey) throws(LabelKeyError) -> LabelEvent {
        guard key.labeller == event.labeller else {
            throw LabelKeyError(description: "the key is \(key.labeller)'s, the answer \(event.labeller)'s")
        }
        var signed = event
        signed.signature = try key.signature(for: message(of: event)).base64EncodedString()
        return signed
    }

    /// Whether `event` carries a signature that one of `keys` made over its message.
    public static func verify(_ event: LabelEvent, keys: [LabellerPublicKey]) -> Bool {
        guard let text = event.signature, let signature = Data(base64Encoded: text), signature.count == 64 else { return false }
        let bytes = message(of: event)
        return keys.contains { $0.isValidSignature(signature, for: bytes) }
    }

    /// The event's time in whole milliseconds, as its JSON text carries it.
    static func milliseconds(_ time: Date) -> Int64 {
        let value = (time.timeIntervalSince1970 * 1000).rounded()
        // Events outside 2000...2100 fail validation; clamp so a hostile value cannot trap here.
        return value.isFinite ? Int64(max(-9e15, min(9e15, value))) : 0
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        let count = UInt32(truncatingIfNeeded: utf8.count)
        bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        bytes += utf8
    }

    private static func append(optional text: String?, to bytes: inout [UInt8]) {
        guard let text else { bytes.append(0); return }
        bytes.append(1)
        append(text, to: &bytes)
    }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }
}
