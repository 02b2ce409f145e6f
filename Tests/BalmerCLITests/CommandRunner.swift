import Foundation

/// Runs the built `balmer` executables (found beside the test bundle) and captures their output.
enum CommandRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The folder holding the built products (`balmer`, `balmer-bench`).
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

    static func balmer(_ arguments: [String]) throws -> Output {
        try run(productsDirectory.appendingPathComponent("balmer").path, arguments)
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = ErrDrain(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a thread of its own.
/// `@unchecked Sendable`: `data` is written once on the reading thread before the semaphore is
/// signalled and read only after `wait()` returns.
final class ErrDrain: @unchecked Sendable {
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

/// The real survey files in `../shared/data/real` (or `$BALMER_REAL_DATA`), `nil` when absent.
enum RealData {
    static let directory: String? = {
        let candidates = [ProcessInfo.processInfo.environment["BALMER_REAL_DATA"],
                          CommandRunner.packageRoot + "/../shared/data/real"].compactMap { $0 }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        FileHandle.standardError.write(Data("SKIPPING real-file CLI tests: ../shared/data/real is absent\n".utf8))
        return nil
    }()

    static var files: [String] {
        guard let directory, let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".fits") || $0.hasSuffix(".fits.gz") }.sorted().map { directory + "/" + $0 }
    }
}
