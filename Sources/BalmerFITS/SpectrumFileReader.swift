import BalmerCore
import Foundation
import Logging

/// Reads a spectrum from a FITS file of any layout in ``SpectrumLayout``, detected from the file's
/// structure (never from its name). Plain and gzipped files alike. Blocking: call it from a
/// thread of your own, not from Swift's cooperative pool.
public struct SpectrumFileReader: Sendable {
    private let logger: Logger
    /// Which files may be opened and how large they may be.
    public let policy: FileAccessPolicy

    public init(policy: FileAccessPolicy = .unrestricted, logger: Logger = Logger(label: "balmer.fits")) {
        self.policy = policy
        self.logger = logger
    }

    /// Reads the file at `path` under ``policy``. Throws ``FITSError`` with a readable reason for
    /// every failure; ``FITSError/isTransient`` tells the ones a later attempt may not meet.
    public func read(path: String) throws -> Spectrum {
        try read(FITSFile.open(path: path, policy: policy), name: path)
    }

    /// Reads FITS bytes (plain or gzipped) held in memory, e.g. a file received over the network;
    /// `name` becomes the spectrum's file name and labels log lines. Throws ``FITSError`` as
    /// ``read(path:)`` does.
    public func read(bytes: Data, name: String) throws -> Spectrum {
        try read(FITSFile.open(bytes: bytes, name: name, policy: policy), name: name)
    }

    private func read(_ file: FITSFile, name: String) throws -> Spectrum {
        var spectrum = try Self.read(file)
        spectrum.metadata.fileName = (name as NSString).lastPathComponent
        spectrum.metadata.survey = spectrum.metadata.survey ?? spectrum.layout.survey
        try Self.validate(spectrum)
        logger.trace("read spectrum", metadata: ["file": "\(name)", "layout": "\(spectrum.layout.rawValue)"])
        return spectrum
    }

    /// Detects the layout from the HDU structure, sizes, column names and keywords, and reads it.
    /// Each HDU is visited once; the HDUs holding data are checked to be complete.
    static func read(_ file: FITSFile) throws -> Spectrum {
        try file.move(toHDU: 1)
        try file.checkComplete()
        let primary = file.header
        let sizes = try file.imageSize()
        switch sizes.count {
        case 2 where sizes[1] == 5:
            let rows = primary.string("EXTEN0")?.lowercased() ?? ""
            let layout: SpectrumLayout
            if rows.contains("wavelength") {
                layout = .lamostDR2
            } else if rows.contains("subcontinuum") || rows.contains("normali") {
                layout = .lamostDR1
            } else {
                // No description: row 3 holds wavelengths (≫ 1000 Å) in DR2-5, normalised flux in DR1.
                layout = try file.readPixels(first: 2 * sizes[0] + 1, count: 1)[0] > 1000 ? .lamostDR2 : .lamostDR1
            }
            return try readLAMOSTImage(file, layout: layout, npix: sizes[0])
        case 2 where sizes[1] == 4:
            guard primary.double("COEFF0") != nil else {
                throw FITSError(.unknownLayout, "4-row image without COEFF0: not an SDSS spSpec file")
            }
            return try readSDSSSpSpec(file, npix: sizes[0])
        case 1:
            return try readOndrejovIRAF(file, npix: sizes[0])
        case 0:
            guard try file.hasBytesAfterCurrentHDU() else {
                throw FITSError(.unknownLayout, "primary HDU has no data and there is no extension")
            }
            try file.move(toHDU: 2)
            try file.checkComplete()
            guard file.isBinaryTable else { throw FITSError(.unknownLayout, "HDU 2 is not a binary table") }
            if let flux = file.column("FLUX"), file.column("WAVELENGTH") != nil, try file.columnRepeat(flux) > 1 {
                return try readLAMOSTTable(file, primary: primary)
            }
            if file.column("loglam") != nil, file.column("flux") != nil {
                return try readSDSSSpec(file, primary: primary)
            }
            if file.column("spectral") != nil, file.column("flux") != nil {
                return try readOndrejovTable(file, primary: primary)
            }
            throw FITSError(.unknownLayout, "binary table without FLUX/WAVELENGTH, flux/loglam or spectral/flux columns")
        default:
            throw FITSError(.unknownLayout, "primary image of shape \(sizes) is no known spectrum layout")
        }
    }

    /// Wavelengths must be finite, positive and increasing; flux and inverse variance the same length.
    static func validate(_ spectrum: Spectrum) throws {
        let n = spectrum.wavelength.count
        guard n >= 2, spectrum.flux.count == n else {
            throw FITSError(.badHeader, "\(n) wavelengths for \(spectrum.flux.count) flux values")
        }
        if let ivar = spectrum.inverseVariance, ivar.count != n {
            throw FITSError(.badHeader, "\(ivar.count) inverse variances for \(n) pixels")
        }
        var previous = 0.0
        for w in spectrum.wavelength {
            guard w.isFinite, w > previous else {
                throw FITSError(.badHeader, "wavelengths are not finite, positive and increasing")
            }
            previous = w
        }
    }

    /// λ_i = 10^(c0 + c1·i), i from 0: the log-linear grid of LAMOST and SDSS.
    static func logLinearGrid(c0: Double, c1: Double, count: Int) throws -> [Double] {
        guard c1 > 0, c1 < 0.01, c0 > 2, c0 < 6 else {
            throw FITSError(.badHeader, "COEFF0 = \(c0), COEFF1 = \(c1) is no log-linear optical grid")
        }
        return (0..<count).map { pow(10, c0 + c1 * Double($0)) }
    }
}
