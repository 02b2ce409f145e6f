import Foundation
import Logging
import Synchronization

/// Log lines to stderr (journald) at a process-wide level that SIGHUP can change.
public struct ReloadableLogHandler: LogHandler {
    /// The level every handler of the process uses.
    public static let level = Mutex<Logger.Level>(.info)

    private var stream: StreamLogHandler

    public init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = .trace
    }

    public var metadata: Logger.Metadata {
        get { stream.metadata }
        set { stream.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { stream[metadataKey: key] }
        set { stream[metadataKey: key] = newValue }
    }

    /// Reads the process-wide level; setting it changes the process-wide level.
    public var logLevel: Logger.Level {
        get { Self.level.withLock { $0 } }
        set { Self.level.withLock { $0 = newValue } }
    }

    public func log(event: LogEvent) {
        stream.log(event: event)
    }
}
