import Foundation

/// Runs executables (by default the built `balmer`) to completion and captures their output.
public enum CommandRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs the built `balmer` with `arguments`. Blocking.
    public static func balmer(_ arguments: [String]) throws -> Output {
        try run(BuiltProducts.path(of: "balmer"), arguments)
    }

    /// Runs the built `balmer` on a thread of its own, for async tests.
    public static func balmer(_ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: try run(BuiltProducts.path(of: "balmer"), arguments)) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Runs `executable` with `arguments`. Blocking.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes at once so a chatty child never blocks on a full pipe.
        let errData = PipeDrain(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a thread of its own.
/// `@unchecked Sendable`: `data` is written once on the reading thread before the semaphore is
/// signalled, and read only after `wait()` returns.
public final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    public func wait() -> Data {
        done.wait()
        return data
    }
}
