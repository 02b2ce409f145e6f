import Crypto
import Foundation

/// A labeller's Ed25519 public key as `loop.labellers` lists it: `NAME:ed25519:<base64 of 32 bytes>`.
public struct LabellerPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The algorithm word of a roster entry and of key files.
    public static let algorithm = "ed25519"

    /// The 32 raw bytes (swift-crypto 3's key type is not `Sendable`: it is made when verifying).
    public let rawBytes: [UInt8]

    /// Fails with a one-line reason when `base64` is not standard base64 of a 32-byte Ed25519 key.
    public init(base64: String) throws(LabelKeyError) {
        guard let data = Data(base64Encoded: base64), data.count == 32 else {
            throw LabelKeyError(description: "the public key is not base64 of 32 bytes")
        }
        do { _ = try Curve25519.Signing.PublicKey(rawRepresentation: data) } catch {
            throw LabelKeyError(description: "the public key is not an Ed25519 key (\(error))")
        }
        rawBytes = Array(data)
    }

    init(_ key: Curve25519.Signing.PublicKey) {
        rawBytes = Array(key.rawRepresentation)
    }

    /// Standard base64 of the 32 bytes.
    public var base64: String { Data(rawBytes).base64EncodedString() }

    /// The first 8 bytes of the key's SHA-256 in hex: short enough for messages and logs.
    public var fingerprint: String { Array(SHA256.hash(data: rawBytes)).prefix(8).map { String(format: "%02x", $0) }.joined() }

    /// The `loop.labellers` entry naming `labeller` with this key.
    public func rosterEntry(for labeller: String) -> String { "\(labeller):\(Self.algorithm):\(base64)" }

    /// Whether `signature` is this key's signature of `message`.
    func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawBytes) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public var description: String { "ed25519 \(fingerprint)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawBytes == rhs.rawBytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawBytes) }
}
