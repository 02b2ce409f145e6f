import Foundation

/// Where the package and its built executables are, for tests that run `balmer` as a user would.
public enum BuiltProducts {
    /// The package's root folder.
    public static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The folder holding the built products (`balmer`, `balmer-bench`): `$BALMER_BIN_DIR`, else
    /// the nearest folder above the test bundle that holds `balmer`.
    public static let directory: URL = {
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

    /// The path of a built executable, e.g. `balmer`.
    public static func path(of executable: String) -> String {
        directory.appendingPathComponent(executable).path
    }
}

/// A fresh temporary folder; the caller removes it.
public func temporaryDirectory(_ prefix: String = "balmer-test") throws -> String {
    let path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
