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

    public var description: String {
        status == 0 ? "\(kind.rawValue): \(reason)" : "\(kind.rawValue): \(reason) (cfitsio status \(status))"
    }
}
