/// The retry state of an event re-published to the retry topic because its file failed
/// transiently (missing yet, EIO, ESTALE, a permission error). It travels in Kafka headers, so
/// the payload stays the original event byte for byte (schema 1 unchanged):
/// `balmer-retry-attempt` (attempts made so far), `balmer-retry-due` (when to try again) and
/// `balmer-retry-first-seen` (when the event was first seen), both in milliseconds since 1970,
/// and `balmer-retry-code` (the last failure's code), all as decimal text.
public struct RetryInfo: Sendable, Hashable {
    public static let attemptHeader = "balmer-retry-attempt"
    public static let dueHeader = "balmer-retry-due"
    public static let firstSeenHeader = "balmer-retry-first-seen"
    public static let codeHeader = "balmer-retry-code"
    static let names: Set<String> = [attemptHeader, dueHeader, firstSeenHeader, codeHeader]

    /// Attempts made so far (1 after the first failure).
    public var attempt: Int
    /// Not to be tried before this time, ms since 1970.
    public var dueMilliseconds: Int64
    /// When the event was first seen (its Kafka timestamp, or its first attempt), ms since 1970.
    public var firstSeenMilliseconds: Int64
    /// The code of the last failure, e.g. `missing`.
    public var code: String

    public init(attempt: Int, dueMilliseconds: Int64, firstSeenMilliseconds: Int64, code: String) {
        self.attempt = attempt
        self.dueMilliseconds = dueMilliseconds
        self.firstSeenMilliseconds = firstSeenMilliseconds
        self.code = code
    }

    /// The retry state carried by `message`, `nil` when it has none (a first attempt) or the
    /// headers are malformed (then treated as a first attempt too).
    public init?(message: KafkaMessage) {
        func text(_ name: String) -> String? { message.header(name).map { String(decoding: $0, as: UTF8.self) } }
        guard let attempt = text(Self.attemptHeader).flatMap({ Int($0) }), attempt >= 1, attempt <= 1_000_000,
              let due = text(Self.dueHeader).flatMap({ Int64($0) }),
              let first = text(Self.firstSeenHeader).flatMap({ Int64($0) }) else { return nil }
        self.init(attempt: attempt, dueMilliseconds: due, firstSeenMilliseconds: first, code: text(Self.codeHeader) ?? "")
    }

    /// `message`'s headers without any retry header, followed by this state's.
    public func headers(replacingIn message: KafkaMessage) -> [KafkaHeader] {
        message.headers.filter { !Self.names.contains($0.name) } + [
            KafkaHeader(name: Self.attemptHeader, string: "\(attempt)"),
            KafkaHeader(name: Self.dueHeader, string: "\(dueMilliseconds)"),
            KafkaHeader(name: Self.firstSeenHeader, string: "\(firstSeenMilliseconds)"),
            KafkaHeader(name: Self.codeHeader, string: code),
        ]
    }
}
