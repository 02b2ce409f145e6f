import Foundation

/// The real survey files in `../shared/data/real` beside the package (or `$BALMER_REAL_DATA`).
enum RealData {
    static let directory: String? = {
        let environment = ProcessInfo.processInfo.environment["BALMER_REAL_DATA"]
        let beside = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/real").path
        for candidate in [environment, beside].compactMap({ $0 }) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        FileHandle.standardError.write(Data(
            "SKIPPING real-file tests: ../shared/data/real is absent (set BALMER_REAL_DATA)\n".utf8))
        return nil
    }()

    static var available: Bool { directory != nil }

    /// Every FITS file below the folder, sorted.
    static var files: [String] {
        guard let directory else { return [] }
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var paths: [String] = []
        while let name = enumerator?.nextObject() as? String {
            if name.hasSuffix(".fits") || name.hasSuffix(".fits.gz") { paths.append(directory + "/" + name) }
        }
        return paths.sorted()
    }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "balmer-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
