#if canImport(Glibc)
import Glibc
#endif

/// Which spectrum files may be opened and how large they may be: the data folders a path must
/// resolve into (`ingest.data-roots`) and the size caps checked before memory is committed
/// (`ingest.max-file-bytes` on disk, `ingest.max-inflated-bytes` after gunzip).
public struct FileAccessPolicy: Sendable, Equatable {
    /// Default on-disk cap: 64 MiB. Real spectrum files are 0.1–4 MB (LAMOST ≈ 0.2–1 MB inflated,
    /// SDSS `spec` files a few MB), so this is over ten times the largest, and with one file per
    /// compute thread it stays well inside the unit's `MemoryMax=1G` on the usual thread counts.
    public static let defaultMaxFileBytes = 64 << 20
    /// Default inflated cap: 64 MiB, for the same reasons (a gzip bomb is refused at that size).
    public static let defaultMaxInflatedBytes = 64 << 20

    /// The data folders, resolved (`realpath`: no symlinks, no `..`). Empty: any path is accepted.
    public let roots: [String]
    /// Largest file on disk (compressed or not), bytes.
    public let maxFileBytes: Int
    /// Largest FITS image after inflating a gzipped file, bytes.
    public let maxInflatedBytes: Int

    /// No data roots, default caps (what `balmer inspect` and the tests use).
    public static let unrestricted = FileAccessPolicy(resolvedRoots: [])

    /// A policy over folders already resolved (see ``resolving(roots:maxFileBytes:maxInflatedBytes:)``).
    public init(resolvedRoots: [String], maxFileBytes: Int = defaultMaxFileBytes,
                maxInflatedBytes: Int = defaultMaxInflatedBytes) {
        self.roots = resolvedRoots
        self.maxFileBytes = maxFileBytes
        self.maxInflatedBytes = maxInflatedBytes
    }

    /// Resolves every root with `realpath`; throws ``FileAccessError`` naming the first root that
    /// does not resolve (missing, unreadable) or is not a directory.
    public static func resolving(roots: [String], maxFileBytes: Int = defaultMaxFileBytes,
                                 maxInflatedBytes: Int = defaultMaxInflatedBytes) throws -> FileAccessPolicy {
        var resolved: [String] = []
        for root in roots where !root.isEmpty {
            guard let path = resolve(root) else {
                throw FileAccessError("data root \(root) cannot be resolved: \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw FileAccessError("data root \(root) is not a directory")
            }
            if !resolved.contains(path) { resolved.append(path) }
        }
        return FileAccessPolicy(resolvedRoots: resolved, maxFileBytes: maxFileBytes, maxInflatedBytes: maxInflatedBytes)
    }

    /// `path` with every symlink and `.`/`..` resolved (`realpath`), `nil` with `errno` set when
    /// it cannot be resolved (missing, a loop, permission).
    public static func resolve(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Whether the resolved `path` is one of ``roots`` or lies below one (always true without roots).
    public func permits(resolved path: String) -> Bool {
        guard !roots.isEmpty else { return true }
        return roots.contains { root in
            root == "/" || path == root || path.hasPrefix(root + "/")
        }
    }
}

/// A data root or cap that cannot be used (a configuration error at start).
public struct FileAccessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
