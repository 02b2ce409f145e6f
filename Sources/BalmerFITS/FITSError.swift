/// Why a FITS file could not be read or written. Every reader failure is one of these.
public struct FITSError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The file does not exist or cannot be opened.
        case cannotOpen = "cannot-open"
        /// The bytes are not a FITS file.
        case notFITS = "not-fits"
        /// A FITS file, but none of the spectrum layouts Balmer knows.
        case unknownLayout = "unknown-layout"
        /// A keyword the layout needs is absent or malformed.
        case missingKeyword = "missing-keyword"
        /// The data ends early or cannot be decompressed.
        case truncated = "truncated"
        /// Sizes or values in the header are absurd (hostile or corrupt header).
        case badHeader = "bad-header"
        /// Any other cfitsio failure.
        case cfitsio = "cfitsio"
        /// The resolved path lies outside every `ingest.data-roots` folder.
        case outsideDataRoots = "outside-data-roots"
        /// A FIFO, socket, device or directory: only regular files are opened.
        case notRegularFile = "not-regular-file"
        /// Larger on disk than `ingest.max-file-bytes`, or inflating beyond `ingest.max-inflated-bytes`.
        case tooLarge = "too-large"
        /// The file does not exist (yet): transient until the missing grace has passed.
        case missing = "missing"
        /// EIO, ESTALE, EAGAIN, EINTR, EACCES or EPERM: transient until retries run out.
        case unreadableTransient = "unreadable-transient"

        /// Whether a later attempt may succeed (the event is retried, not rejected, while it may).
        public var isTransient: Bool { self == .missing || self == .unreadableTransient }
    }

    public var kind: Kind
    /// The cfitsio status code, 0 when the error was found by Balmer itself.
    public var status: Int32
    /// A human reason, one line.
    public var reason: String

    public init(_ kind: Kind, status: Int32 = 0, _ reason: String) {
        self.kind = kind
        self.status = status
        self.reason = reason
    }

    /// Whether a later attempt may succeed (see ``Kind/isTransient``).
    public var isTransient: Bool { kind.isTransient }

    public var description: String {
        status == 0 ? "\(kind.rawValue): \(reason)" : "\(kind.rawValue): \(reason) (cfitsio status \(status))"
    }
}
