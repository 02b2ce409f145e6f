import BalmerBus

/// Who may label in a campaign: the entries of `loop.labellers` (comma-separated in the
/// configuration), each `NAME` or `NAME:ed25519:<base64 public key>` (`balmer label keygen`
/// prints the latter). An empty roster lets anyone label (the default).
///
/// Without keys, balmerd refuses answers of names not listed (`rejects` and the dead-letter
/// topic, code `unknown-labeller`). Once any entry has a key, every answer must be signed
/// (``LabelSignature``) by its labeller's key: names without a key are refused
/// (`unknown-labeller`), unsigned answers too (`unsigned-label`), and answers whose signature
/// does not verify with a key listed for their name (`bad-signature`). A name listed with two
/// keys accepts either (key rotation). `balmer label` refuses to start for names or keys
/// balmerd would refuse when it reads the same configuration.
public struct LabellerRoster: Sendable, Equatable, CustomStringConvertible {
    /// The configuration key that lists the labellers.
    public static let key = "loop.labellers"

    /// The listed names, with or without a key; empty means anyone.
    public let names: Set<String>
    /// The listed public keys per name.
    public let keys: [String: [LabellerPublicKey]]

    /// Fails with a one-line reason when an entry is not a valid name or its key is unreadable.
    public init(_ entries: [String]) throws(RosterError) {
        var names: Set<String> = []
        var keys: [String: [LabellerPublicKey]] = [:]
        for entry in entries {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if let problem = LabellerName.problem(parts[0]) { throw RosterError(description: "\(Self.key): \(problem)") }
            switch parts.count {
            case 1:
                break
            case 3 where parts[1] == LabellerPublicKey.algorithm:
                do {
                    let key = try LabellerPublicKey(base64: parts[2])
                    if keys[parts[0], default: []].contains(key) == false { keys[parts[0], default: []].append(key) }
                } catch {
                    throw RosterError(description: "\(Self.key): the entry of \(parts[0]): \(error.description)")
                }
            default:
                throw RosterError(description: "\(Self.key): the entry of \(parts[0]) is neither NAME nor NAME:\(LabellerPublicKey.algorithm):<base64 public key>")
            }
            names.insert(parts[0])
        }
        self.names = names
        self.keys = keys
    }

    /// Whether answers must be signed: some entry has a key.
    public var requiresSignatures: Bool { !keys.isEmpty }

    /// Whether `name` may label (with a key, when the roster requires signatures).
    public func allows(_ name: String) -> Bool {
        if requiresSignatures { return keys[name] != nil }
        return names.isEmpty || names.contains(name)
    }

    /// Why `name` may not label (nil when it may), for errors and reject reasons.
    public func refusal(of name: String) -> String? {
        if allows(name) { return nil }
        if names.contains(name) {
            return "labeller \(name) has no key in \(Self.key), which lists keys: balmerd refuses unsigned answers"
        }
        return "unknown labeller \(name): \(Self.key) lists \(self)"
    }

    /// Why balmerd refuses `event` (nil when it may be stored): an unknown name, a missing
    /// signature or one that does not verify with the name's keys.
    public func refusal(of event: LabelEvent) -> LabelRefusal? {
        if let reason = refusal(of: event.labeller) { return LabelRefusal(code: "unknown-labeller", reason: reason) }
        guard let listed = keys[event.labeller] else { return nil }
        guard event.signature != nil else {
            return LabelRefusal(code: "unsigned-label",
                                reason: "the answer of \(event.labeller) to task \(event.taskID) is not signed; \(Self.key) requires signatures (balmer label --key)")
        }
        guard LabelSignature.verify(event, keys: listed) else {
            return LabelRefusal(code: "bad-signature",
                                reason: "the signature of \(event.labeller)'s answer to task \(event.taskID) does not verify with the key\(listed.count == 1 ? "" : "s") \(Self.key) lists for \(event.labeller) (\(listed.map(\.fingerprint).joined(separator: ", ")))")
        }
        return nil
    }

    /// Why `key` may not sign answers of `name` (nil when it may, or when the roster lists no keys).
    public func refusal(of key: LabellerPublicKey, for name: String) -> String? {
        guard requiresSignatures, let listed = keys[name] else { return refusal(of: name) }
        if listed.contains(key) { return nil }
        return "the key \(key.fingerprint) is not the one \(Self.key) lists for \(name) (\(listed.map(\.fingerprint).joined(separator: ", "))): balmerd would refuse the answers (bad-signature)"
    }

    public var description: String { names.isEmpty ? "anyone" : names.sorted().joined(separator: ", ") }

    /// A roster entry that is not a valid labeller name or key.
    public struct RosterError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }
}
