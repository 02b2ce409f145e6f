import Foundation

/// The real survey files in `../shared/data/real` beside the package (or `$BALMER_REAL_DATA`).
/// Tests that need them are enabled only when the folder exists; they say so when skipped.
public enum RealData {
    public static let directory: String? = {
        let candidates = [ProcessInfo.processInfo.environment["BALMER_REAL_DATA"],
                          BuiltProducts.packageRoot + "/../shared/data/real"].compactMap { $0 }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        FileHandle.standardError.write(Data(
            "SKIPPING real-file tests: ../shared/data/real is absent (set BALMER_REAL_DATA)\n".utf8))
        return nil
    }()

    public static var available: Bool { directory != nil }

    /// Every FITS file below the folder, sorted.
    public static var files: [String] {
        guard let directory, let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".fits") || $0.hasSuffix(".fits.gz") }.sorted().map { directory + "/" + $0 }
    }
}
