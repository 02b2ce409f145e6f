import Foundation

/// `balmer.labels`: an oracle's answer to a task. Key: `taskID`.
public struct LabelEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.labels
    public static let schemaVersion = 1

    public var taskID: String
    public var spectrumID: String
    /// One of `EventLimits.labels` (default `single`, `double`, `other`).
    public var label: String
    /// Who answered (user name or `simulated`).
    public var labeller: String
    /// When the answer was given (ISO 8601 in JSON).
    public var time: Date
    public var comment: String?
    /// The task whose earlier label this one replaces (undo/correction); `nil` for a first answer.
    public var corrects: String?
    /// The labeller's Ed25519 signature of the other fields, base64 (64 bytes; BalmerLabeling's
    /// `LabelSignature` defines the signed bytes). Optional, so unsigned events of older clients
    /// still decode; balmerd requires it when `loop.labellers` lists keys.
    public var signature: String?

    public init(taskID: String, spectrumID: String, label: String, labeller: String, time: Date,
                comment: String? = nil, corrects: String? = nil, signature: String? = nil) {
        self.taskID = taskID
        self.spectrumID = spectrumID
        self.label = label
        self.labeller = labeller
        self.time = time
        self.comment = comment
        self.corrects = corrects
        self.signature = signature
    }

    public var key: String { taskID }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", spectrumID = "spectrum_id", label, labeller, time, comment, corrects, signature
    }

    public func validate(_ check: inout EventValidator) {
        check.identifier(taskID, "task_id")
        check.identifier(spectrumID, "spectrum_id")
        if !check.limits.labels.contains(label) {
            check.fail(.invalidValue(field: "label", reason: "\"\(label.prefix(40))\" is not one of \(check.limits.labels.sorted().joined(separator: ", "))"))
        }
        check.identifier(labeller, "labeller")
        check.number(time.timeIntervalSince1970, "time", in: 946_684_800...4_102_444_800)
        check.text(comment, "comment")
        if let corrects { check.identifier(corrects, "corrects") }
        if let signature, !Self.isSignatureText(signature) {
            check.fail(.invalidValue(field: "signature", reason: "not base64 of at most \(Self.maxSignatureBytes) bytes"))
        }
    }

    /// Signatures are Ed25519's 64 bytes; the limit leaves room without letting the field grow.
    public static let maxSignatureBytes = 128

    /// Base64 (standard alphabet, padded) of at most ``maxSignatureBytes`` bytes.
    static func isSignatureText(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= (maxSignatureBytes + 2) / 3 * 4, text.utf8.count % 4 == 0 else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "=")
        }
    }
}
