import Foundation

/// Finds and runs the built `balmer` executable (beside the test bundle, as in BalmerCLITests).
enum ProcessRunner {
    static let productsDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["BALMER_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("balmer").path) { return url }
        }
        return URL(fileURLWithPath: packageRoot + "/.build/debug")
    }()

    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var balmer: String { productsDirectory.appendingPathComponent("balmer").path }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `balmer` to completion on a thread of its own and captures its output.
    static func run(_ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: balmer)
                    process.arguments = arguments
                    let out = Pipe()
                    let err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    let errData = PipeDrain(err.fileHandleForReading)
                    let outData = out.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                                                          stderr: String(decoding: errData.wait(), as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A long-running `balmer kafka mock` child: its first stdout line, and a way to stop it.
/// `@unchecked Sendable`: `process` is configured before `run()` and only signalled/waited on after.
final class MockProcess: @unchecked Sendable {
    let process = Process()
    let bootstrapServers: String
    private let stderr: PipeDrain

    init(arguments: [String] = []) async throws {
        process.executableURL = URL(fileURLWithPath: ProcessRunner.balmer)
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
    func terminate() async -> (status: Int32, stderr: String) {
        process.terminate()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: stderr.wait(), as: UTF8.self)))
            }
        }
    }
}

/// Reads a file handle to its end on a thread of its own.
/// `@unchecked Sendable`: `data` is written once on the reading thread before the semaphore is
/// signalled and read only after `wait()` returns.
final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }
    func wait() -> Data {
        done.wait()
        return data
    }
}
