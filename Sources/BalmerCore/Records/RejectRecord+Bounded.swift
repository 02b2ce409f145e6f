import Foundation

extension RejectRecord {
    /// The most payload bytes a `rejects` row keeps (1 MiB). Events may be up to 4 MiB, and a
    /// 4 MiB row per refused event would let a hostile producer fill the database; beyond this
    /// cap the row keeps the first `maxPayloadBytes` bytes followed by the line
    /// `\n#balmer-truncated original_payload_bytes=N original_payload_sha256=HEX\n`, so the
    /// original can still be identified (and matched against the producer's copy).
    public static let maxPayloadBytes = 1 << 20

    /// A reject whose key is ``RejectKey/printable(_:)-(C)`` of the raw key (`""` without one)
    /// and whose payload is cut to `maxPayload` bytes (see ``maxPayloadBytes``).
    public init(source: String, rawKey: [UInt8]?, reason: String, payload: [UInt8],
                maxPayload: Int = RejectRecord.maxPayloadBytes, rejectedAt: Date = Date()) {
        self.init(source: source, key: rawKey.map { RejectKey.printable($0) } ?? "", reason: reason,
                  payload: Self.boundedPayload(payload, maxBytes: maxPayload), rejectedAt: rejectedAt)
    }

    /// `payload` itself when at most `maxBytes` long, else its first `maxBytes` bytes and the
    /// truncation line with the original length and SHA-256.
    public static func boundedPayload(_ payload: [UInt8], maxBytes: Int = RejectRecord.maxPayloadBytes) -> Data {
        guard payload.count > maxBytes else { return Data(payload) }
        let note = "\n#balmer-truncated original_payload_bytes=\(payload.count) original_payload_sha256=\(SHA256.hex(payload))\n"
        return Data(payload.prefix(max(0, maxBytes))) + Data(note.utf8)
    }

    /// The longest payload the store writes as it is: ``maxPayloadBytes`` plus room for the
    /// truncation line, so payloads already cut by ``boundedPayload(_:maxBytes:)`` pass unchanged.
    public static let maxStoredPayloadBytes = maxPayloadBytes + 256

    /// This reject as the store writes it: a payload longer than ``maxStoredPayloadBytes`` (a
    /// reject built without ``init(source:rawKey:reason:payload:maxPayload:rejectedAt:)``) is cut
    /// like ``boundedPayload(_:maxBytes:)``. Deterministic, so replays still deduplicate.
    public var storable: RejectRecord {
        guard payload.count > Self.maxStoredPayloadBytes else { return self }
        var copy = self
        copy.payload = Self.boundedPayload(Array(payload))
        return copy
    }

    /// The last-resort form of this reject, for when the database refused the row itself: the
    /// key made printable again and the payload cut to 4 KiB (with the truncation line).
    public var sanitised: RejectRecord {
        RejectRecord(source: RejectKey.printable(source), key: RejectKey.printable(key), reason: RejectKey.printable(reason),
                     payload: Self.boundedPayload(Array(payload), maxBytes: 4096), rejectedAt: rejectedAt)
    }
}
