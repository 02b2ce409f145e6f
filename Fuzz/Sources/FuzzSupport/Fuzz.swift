import CLibFuzzer
import Foundation

/// What every Balmer fuzzer shares: libFuzzer's driver, invariant checks and the seed-writing mode.
public enum Fuzz {
    /// The environment variable naming a folder: a fuzzer started with it writes its seed corpus
    /// there and exits instead of fuzzing (`ops/fuzz --write-seeds`).
    public static let seedsVariable = "BALMER_FUZZ_WRITE_SEEDS"

    /// Runs libFuzzer on `callback` with the process's arguments. Each fuzzer's `@main` calls it;
    /// when the linker keeps libFuzzer's own `main` instead, that `main` calls the same callback
    /// through `LLVMFuzzerTestOneInput`.
    public static func run(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
    }

    /// The input as an array (libFuzzer may pass a null pointer for an empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Aborts with `message` when `condition` is false, so libFuzzer saves the input as a crash.
    public static func expect(_ condition: Bool, _ message: @autoclosure () -> String,
                              file: StaticString = #fileID, line: UInt = #line) {
        guard !condition else { return }
        FileHandle.standardError.write(Data("balmer-fuzz: invariant broken at \(file):\(line): \(message())\n".utf8))
        abort()
    }

    /// In seed-writing mode (``seedsVariable`` set), writes each named seed into that folder,
    /// reports how many, and exits; otherwise returns at once. Called from `LLVMFuzzerInitialize`.
    public static func writeSeedsIfAsked(_ seeds: () throws -> [(name: String, bytes: [UInt8])]) {
        guard let folder = ProcessInfo.processInfo.environment[seedsVariable], !folder.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let all = try seeds()
            for seed in all {
                try Data(seed.bytes).write(to: URL(fileURLWithPath: folder + "/" + seed.name))
            }
            let total = all.reduce(0) { $0 + $1.bytes.count }
            print("wrote \(all.count) seeds (\(total) bytes) to \(folder)")
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("balmer-fuzz: cannot write seeds to \(folder): \(error)\n".utf8))
            exit(1)
        }
    }

    /// A fresh temporary folder for this process (seed writing, round trips through files).
    public static func temporaryFolder(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "/balmer-fuzz-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
