import BalmerCore
import Foundation
import Logging

/// Why a file yields no feature vector: it could not be read, or preprocessing rejected it.
public enum ExtractionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(FITSError)
    case rejected(PreprocessingReject)

    /// Whether a later attempt may succeed (a missing file, EIO, ESTALE, a permission error).
    public var isTransient: Bool {
        if case .unreadable(let error) = self { return error.isTransient }
        return false
    }

    /// A short stable code for the rejects table, e.g. `not-fits` or `no-coverage`.
    public var code: String {
        switch self {
        case .unreadable(let error): error.kind.rawValue
        case .rejected(let reject): reject.kind.rawValue
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let error): error.description
        case .rejected(let reject): reject.description
        }
    }
}

/// The result of reading and preprocessing one file.
public struct SpectrumExtraction: Sendable {
    public var path: String
    /// The spectrum as read, `nil` when the file could not be read.
    public var spectrum: Spectrum?
    /// The feature vector, or why there is none.
    public var features: Result<[Float], ExtractionFailure>
}

/// Reads FITS files and preprocesses them into feature vectors, on threads of its own.
public struct FeatureExtractor: Sendable {
    public let reader: SpectrumFileReader
    public let preprocessor: Preprocessor

    public init(config: PreprocessingConfig = .survey, policy: FileAccessPolicy = .unrestricted,
                logger: Logger = Logger(label: "balmer.fits")) {
        self.reader = SpectrumFileReader(policy: policy, logger: logger)
        self.preprocessor = Preprocessor(config: config)
    }

    /// Reads and preprocesses one file. Blocking.
    public func extract(path: String) -> SpectrumExtraction {
        do {
            let spectrum = try reader.read(path: path)
            let features = preprocessor.features(of: spectrum).mapError(ExtractionFailure.rejected)
            return SpectrumExtraction(path: path, spectrum: spectrum, features: features)
        } catch let error as FITSError {
            return SpectrumExtraction(path: path, spectrum: nil, features: .failure(.unreadable(error)))
        } catch {
            let wrapped = FITSError(.cfitsio, "\(error)")
            return SpectrumExtraction(path: path, spectrum: nil, features: .failure(.unreadable(wrapped)))
        }
    }

    /// Extracts every file with `threads` worker threads (blocking; results in input order).
    /// `keepSpectra: false` drops the read arrays to keep memory flat on large batches.
    public func extract(paths: [String], threads: Int, keepSpectra: Bool = true) -> [SpectrumExtraction] {
        Parallel.map(count: paths.count, threads: threads) { i in
            var extraction = extract(path: paths[i])
            if !keepSpectra { extraction.spectrum = nil }
            return extraction
        }
    }
}
