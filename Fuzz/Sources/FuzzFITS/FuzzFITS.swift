import BalmerCore
import BalmerFITS
import Foundation
import FuzzSupport

/// Fuzzes ``SpectrumFileReader/read(bytes:name:)`` (plain and gzipped FITS of every layout) and
/// the preprocessing that follows a successful read in the daemon.
@main
struct FuzzFITS {
    static let reader = SpectrumFileReader()
    static let preprocessors = [Preprocessor(config: .survey), Preprocessor(config: .ccd700)]

    static func main() { Fuzz.run(fuzzFITSInput) }

    static func test(_ bytes: [UInt8]) {
        let spectrum: Spectrum
        do {
            spectrum = try reader.read(bytes: Data(bytes), name: "fuzz.fits")
        } catch let error as FITSError {
            Fuzz.expect(!error.reason.isEmpty, "a FITSError without a reason")
            return
        } catch {
            Fuzz.expect(false, "the reader threw \(type(of: error)), not FITSError: \(error)")
            return
        }
        let n = spectrum.wavelength.count
        Fuzz.expect(n >= 2 && spectrum.flux.count == n, "\(n) wavelengths for \(spectrum.flux.count) flux values")
        Fuzz.expect(spectrum.inverseVariance.map { $0.count == n } ?? true, "inverse variance of another length")
        Fuzz.expect(zip(spectrum.wavelength, spectrum.wavelength.dropFirst()).allSatisfy { $0 < $1 } && spectrum.wavelength.allSatisfy(\.isFinite),
                    "wavelengths are not finite and increasing")
        Fuzz.expect(spectrum.metadata.fileName == "fuzz.fits", "file name \(spectrum.metadata.fileName ?? "nil")")
        for preprocessor in preprocessors {
            guard case .success(let features) = preprocessor.features(of: spectrum) else { continue }
            Fuzz.expect(features.count == preprocessor.config.points, "\(features.count) features")
            if preprocessor.config.scale {
                Fuzz.expect(features.allSatisfy { $0.isFinite && $0 >= -1.0001 && $0 <= 1.0001 }, "features outside [-1, 1]: \(features.prefix(8)) … (min \(features.min() ?? .nan), max \(features.max() ?? .nan))")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFITSInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzFITS.test(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzFITSInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfAsked(FITSSeeds.all)
    return 0
}
