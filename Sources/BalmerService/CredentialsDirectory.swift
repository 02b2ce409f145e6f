import Foundation

/// The credentials directory (`$CREDENTIALS_DIRECTORY`, filled by systemd's `LoadCredential=`):
/// one file per secret, named like its key with `.` as `-` (`database-password` for
/// `database.password`), its text without the trailing newline.
///
/// Read here instead of by swift-configuration's `DirectoryFilesProvider` because that provider
/// only has an `async` initialiser, while ``ConfigReader`` is built from synchronous code (the
/// SIGHUP reload on its dispatch queue, the `balmer` commands' validation), and it trims every
/// leading and trailing space of a value, which would alter a password that starts or ends with
/// one. Like it, the whole directory is read once (systemd caps each credential at 1 MiB); the
/// values are served by an `InMemoryProvider` keyed by file name.
enum CredentialsDirectory {
    /// The file name holding `key`.
    static func fileName(_ key: String) -> String { key.replacingOccurrences(of: ".", with: "-") }

    /// File name → text of every readable regular, non-hidden file in `path` (none when the
    /// directory is missing or unreadable).
    static func load(_ path: String) -> [String: String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: path) else { return [:] }
        var values: [String: String] = [:]
        for name in names where !name.hasPrefix(".") {
            let file = path + "/" + name
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = manager.contents(atPath: file) else { continue }
            var text = String(decoding: data, as: UTF8.self)
            while let last = text.last, last == "\n" || last == "\r" || last == "\r\n" { text.removeLast() }
            values[name] = text
        }
        return values
    }
}
