import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A labeller's Ed25519 private key, as `balmer label keygen` writes it and `balmer label --key`
/// reads it: a text file `NAME.ed25519`, mode 0600, whose one non-comment line is
/// `NAME:ed25519-private:<base64 of the 32-byte seed>` (comment lines start with `#`; the
/// comment names the public roster entry).
public struct LabelSigningKey: Sendable {
    /// The word after the name in the key line.
    public static let fileAlgorithm = "ed25519-private"
    /// The file name extension.
    public static let fileExtension = "ed25519"

    /// Whose key it is: the labeller name every signed answer must carry.
    public let labeller: String
    /// The 32-byte seed (swift-crypto 3's key type is not `Sendable`: it is made when signing).
    private let seed: [UInt8]
    /// The matching public key.
    public let publicKey: LabellerPublicKey

    /// A new random key for `labeller` (a valid labeller name).
    public static func generate(labeller: String) throws(LabelKeyError) -> LabelSigningKey {
        if let problem = LabellerName.problem(labeller) { throw LabelKeyError(description: problem) }
        return LabelSigningKey(labeller: labeller, key: Curve25519.Signing.PrivateKey())
    }

    private init(labeller: String, key: Curve25519.Signing.PrivateKey) {
        self.labeller = labeller
        seed = Array(key.rawRepresentation)
        publicKey = LabellerPublicKey(key.publicKey)
    }

    /// Parses the text of a key file.
    public init(text: String) throws(LabelKeyError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1 else {
            throw LabelKeyError(description: "expected one key line NAME:\(Self.fileAlgorithm):<base64>, found \(lines.count)")
        }
        let parts = lines[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[1] == Self.fileAlgorithm else {
            throw LabelKeyError(description: "the key line is not NAME:\(Self.fileAlgorithm):<base64>")
        }
        if let problem = LabellerName.problem(parts[0]) { throw LabelKeyError(description: problem) }
        guard let seed = Data(base64Encoded: parts[2]), seed.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw LabelKeyError(description: "the private key is not base64 of 32 bytes")
        }
        self.init(labeller: parts[0], key: key)
    }

    /// Reads a key file; refuses one that others may read (like ssh), since it proves who labels.
    public init(contentsOfFile path: String) throws(LabelKeyError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LabelKeyError(description: "cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & 0o077 != 0 {
            throw LabelKeyError(description: "key file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LabelKeyError(description: "cannot read key file \(path): \(error.localizedDescription)")
        }
        do { try self.init(text: text) } catch {
            throw LabelKeyError(description: "key file \(path): \(error.description)")
        }
    }

    /// The `loop.labellers` entry for this key.
    public var rosterEntry: String { publicKey.rosterEntry(for: labeller) }

    /// The key file's text.
    public var fileText: String {
        """
        # balmer labeller key of \(labeller): keep it secret (mode 0600); it signs every answer.
        # Its entry in loop.labellers: \(rosterEntry)
        \(labeller):\(Self.fileAlgorithm):\(Data(seed).base64EncodedString())

        """
    }

    /// Writes `DIRECTORY/NAME.ed25519` with mode 0600; never replaces an existing file. Returns its path.
    public func write(toDirectory directory: String) throws(LabelKeyError) -> String {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + labeller + "." + Self.fileExtension
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw LabelKeyError(description: "\(path) exists; not replacing a key (remove it first to make a new one)") }
            throw LabelKeyError(description: "cannot create \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        // The mode of open(2) is filtered by the umask, which only removes bits; make it exact.
        _ = fchmod(fd, 0o600)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: Data(fileText.utf8))
            try handle.synchronize()
        } catch {
            unlink(path)
            throw LabelKeyError(description: "cannot write \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// Signs `message`.
    func signature(for message: [UInt8]) throws(LabelKeyError) -> Data {
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: message) } catch {
            throw LabelKeyError(description: "signing failed: \(error)")
        }
    }
}
