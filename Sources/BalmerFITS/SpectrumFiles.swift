import Foundation

/// Expands command-line arguments into spectrum files.
public enum SpectrumFiles {
    /// Each argument that names a folder becomes the `.fits`, `.fit` and `.fits.gz` files below it
    /// (recursively, sorted); other arguments are kept as given, so a missing file is reported by
    /// the reader like any other unreadable one.
    public static func expand(_ arguments: [String]) -> [String] {
        arguments.flatMap { argument -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue,
                  let enumerator = FileManager.default.enumerator(atPath: argument) else { return [argument] }
            let base = argument.hasSuffix("/") ? String(argument.dropLast()) : argument
            return enumerator.compactMap { $0 as? String }
                .filter { isSpectrumFile($0) }
                .sorted()
                .map { base + "/" + $0 }
        }
    }

    /// Whether a file name looks like a FITS file (plain or gzipped).
    public static func isSpectrumFile(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".fits") || lower.hasSuffix(".fit") || lower.hasSuffix(".fits.gz") || lower.hasSuffix(".fit.gz")
    }
}
