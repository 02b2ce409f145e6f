import BalmerCore
import Foundation
import Logging

/// Reads a spectrum from a FITS file of any layout in ``SpectrumLayout``, detected from the file's
/// structure (never from its name). Plain and gzipped files alike. Blocking: call it from a
/// thread of your own, not from Swift's cooperative pool.
public struct SpectrumFileReader: Sendable {
    private let logger: Logger

    public init(logger: Logger = Logger(label: "balmer.fits")) {
        self.logger = logger
    }

    /// Reads the file at `path`. Throws ``FITSError`` with a readable reason for every failure.
    public func read(path: String) throws -> Spectrum {
        let file = try FITSFile.open(path: path)
        let layout = try Self.detectLayout(file)
        var spectrum: Spectrum
        switch layout {
        case .lamostDR1, .lamostDR2: spectrum = try Self.readLAMOSTImage(file, layout: layout)
        case .lamostDR9: spectrum = try Self.readLAMOSTTable(file)
        case .ondrejovIRAF: spectrum = try Self.readOndrejovIRAF(file)
        case .ondrejovVOTable: spectrum = try Self.readOndrejovTable(file)
        case .sdssSpec: spectrum = try Self.readSDSSSpec(file)
        case .sdssSpSpec: spectrum = try Self.readSDSSSpSpec(file)
        }
        // The HDUs that hold spectrum data must be complete, including parts not read above.
        for hdu in 1...min(2, max(1, file.hduCount)) {
            try file.move(toHDU: hdu)
            try file.checkComplete()
        }
        spectrum.metadata.fileName = (path as NSString).lastPathComponent
        spectrum.metadata.survey = spectrum.metadata.survey ?? layout.survey
        try Self.validate(spectrum)
        logger.trace("read spectrum", metadata: ["file": "\(path)", "layout": "\(layout.rawValue)"])
        return spectrum
    }

    /// Decides the layout from the HDU structure, sizes, column names and keywords.
    static func detectLayout(_ file: FITSFile) throws -> SpectrumLayout {
        try file.move(toHDU: 1)
        let sizes = try file.imageSize()
        switch sizes.count {
        case 2 where sizes[1] == 5:
            let rows = file.string("EXTEN0")?.lowercased() ?? ""
            if rows.contains("wavelength") { return .lamostDR2 }
            if rows.contains("subcontinuum") || rows.contains("normali") { return .lamostDR1 }
            // No description: row 3 holds wavelengths (≫ 1000 Å) in DR2-5, normalised flux in DR1.
            let probe = try file.readPixels(first: 2 * sizes[0] + 1, count: 1)[0]
            return probe > 1000 ? .lamostDR2 : .lamostDR1
        case 2 where sizes[1] == 4:
            guard file.double("COEFF0") != nil else {
                throw FITSError(.unknownLayout, "4-row image without COEFF0: not an SDSS spSpec file")
            }
            return .sdssSpSpec
        case 1:
            return .ondrejovIRAF
        case 0:
            guard file.hduCount >= 2 else {
                throw FITSError(.unknownLayout, "primary HDU has no data and there is no extension")
            }
            try file.move(toHDU: 2)
            guard file.isBinaryTable else {
                throw FITSError(.unknownLayout, "HDU 2 is not a binary table")
            }
            if let flux = file.column("FLUX"), file.column("WAVELENGTH") != nil, try file.columnRepeat(flux) > 1 {
                return .lamostDR9
            }
            if file.column("loglam") != nil, file.column("flux") != nil { return .sdssSpec }
            if file.column("spectral") != nil, file.column("flux") != nil { return .ondrejovVOTable }
            throw FITSError(.unknownLayout, "binary table without FLUX/WAVELENGTH, flux/loglam or spectral/flux columns")
        default:
            throw FITSError(.unknownLayout, "primary image of shape \(sizes) is no known spectrum layout")
        }
    }

    /// Wavelengths must be finite and increasing; flux and inverse variance the same length.
    static func validate(_ spectrum: Spectrum) throws {
        let n = spectrum.wavelength.count
        guard n >= 2, spectrum.flux.count == n else {
            throw FITSError(.badHeader, "\(n) wavelengths for \(spectrum.flux.count) flux values")
        }
        if let ivar = spectrum.inverseVariance, ivar.count != n {
            throw FITSError(.badHeader, "\(ivar.count) inverse variances for \(n) pixels")
        }
        var previous = -Double.infinity
        for w in spectrum.wavelength {
            guard w.isFinite, w > previous else {
                throw FITSError(.badHeader, "wavelengths are not finite and increasing")
            }
            previous = w
        }
        guard spectrum.wavelength[0] > 0 else { throw FITSError(.badHeader, "wavelengths are not positive") }
    }

    /// λ_i = 10^(c0 + c1·i), i from 0: the log-linear grid of LAMOST and SDSS.
    static func logLinearGrid(c0: Double, c1: Double, count: Int) throws -> [Double] {
        guard c1 > 0, c1 < 0.01, c0 > 2, c0 < 6 else {
            throw FITSError(.badHeader, "COEFF0 = \(c0), COEFF1 = \(c1) is no log-linear optical grid")
        }
        return (0..<count).map { pow(10, c0 + c1 * Double($0)) }
    }
}
