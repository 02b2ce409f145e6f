import Foundation

/// A long-running `balmer kafka mock` child: its first stdout line, and a way to stop it.
/// `@unchecked Sendable`: `process` is configured before `run()` and only signalled/waited on after.
public final class MockProcess: @unchecked Sendable {
    public let process = Process()
    public let bootstrapServers: String
    private let stderr: PipeDrain

    public init(arguments: [String] = []) async throws {
        process.executableURL = URL(fileURLWithPath: BuiltProducts.path(of: "balmer"))
        process.arguments = ["kafka", "mock"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stderr = PipeDrain(err.fileHandleForReading)
        let handle = out.fileHandleForReading
        // Read the first line on a thread of its own (a blocking read).
        bootstrapServers = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var line = Data()
                while true {
                    let byte = handle.readData(ofLength: 1)
                    if byte.isEmpty || byte == Data("\n".utf8) { break }
                    line.append(byte)
                }
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("bootstrap.servers=") else {
                    return continuation.resume(throwing: CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "first line was \(text)"]))
                }
                continuation.resume(returning: String(text.dropFirst("bootstrap.servers=".count)))
            }
        }
    }

    /// Sends SIGTERM and waits for the exit status (and stderr).
    public func terminate() async -> (status: Int32, stderr: String) {
        process.terminate()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: stderr.wait(), as: UTF8.self)))
            }
        }
    }

    /// Sends SIGTERM and waits for the exit (cleanup).
    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
