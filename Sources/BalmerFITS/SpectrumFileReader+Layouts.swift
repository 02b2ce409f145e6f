import BalmerCore
import Foundation

/// One reader per layout; facts about each layout are in shared/formats.md.
extension SpectrumFileReader {
    /// LAMOST DR1 (row 3 = normalised flux) and DR2–DR5 (row 3 = wavelength): 5 × Npix image.
    static func readLAMOSTImage(_ file: FITSFile, layout: SpectrumLayout, npix: Int) throws -> Spectrum {
        let flux = try file.readPixels(first: 1, count: npix)
        let ivar = try file.readPixels(first: npix + 1, count: npix)
        let wavelength: [Double]
        if layout == .lamostDR2 {
            wavelength = try file.readPixels(first: 2 * npix + 1, count: npix)
        } else {
            wavelength = try logLinearGrid(c0: try coefficient(file.header, "COEFF0", "CRVAL1"),
                                           c1: try coefficient(file.header, "COEFF1", "CD1_1"), count: npix)
        }
        return Spectrum(layout: layout, frame: .vacuum, wavelength: wavelength, flux: flux,
                        inverseVariance: ivar, metadata: lamostMetadata(file.header))
    }

    /// LAMOST DR9+: header-only primary HDU, `COADD` table with one row of vector columns.
    static func readLAMOSTTable(_ file: FITSFile, primary: FITSHeader) throws -> Spectrum {
        let metadata = lamostMetadata(primary)
        guard let fluxColumn = file.column("FLUX"), let waveColumn = file.column("WAVELENGTH") else {
            throw FITSError(.unknownLayout, "COADD table lacks FLUX or WAVELENGTH")
        }
        guard try file.rowCount() >= 1 else { throw FITSError(.truncated, "COADD table has no rows") }
        let npix = try file.columnRepeat(fluxColumn)
        guard try file.columnRepeat(waveColumn) == npix else {
            throw FITSError(.badHeader, "FLUX and WAVELENGTH columns differ in length")
        }
        let flux = try file.readColumn(fluxColumn, row: 1, count: npix)
        let wavelength = try file.readColumn(waveColumn, row: 1, count: npix)
        var ivar: [Double]?
        if let ivarColumn = file.column("IVAR"), try file.columnRepeat(ivarColumn) == npix {
            ivar = try file.readColumn(ivarColumn, row: 1, count: npix)
        }
        return Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: wavelength, flux: flux,
                        inverseVariance: ivar, metadata: metadata)
    }

    /// Ondřejov CCD700 IRAF 1-D image: λ(p) = CRVAL1 + (p − CRPIX1)·CD1_1 (or CDELT1), in air;
    /// DC-FLAG = 1 would mean log10 λ.
    static func readOndrejovIRAF(_ file: FITSFile, npix: Int) throws -> Spectrum {
        let flux = try file.readPixels(first: 1, count: npix)
        guard let start = file.double("CRVAL1") else {
            throw FITSError(.missingKeyword, "1-D image without CRVAL1: no wavelength solution")
        }
        guard let step = file.double("CD1_1") ?? file.double("CDELT1"), step > 0 else {
            throw FITSError(.missingKeyword, "1-D image without a positive CD1_1 or CDELT1")
        }
        let reference = file.double("CRPIX1") ?? 1
        let logarithmic = (file.double("DC-FLAG") ?? 0) == 1
        let wavelength = (0..<npix).map { i -> Double in
            let value = start + (Double(i + 1) - reference) * step
            return logarithmic ? pow(10, value) : value
        }
        var metadata = SpectrumMetadata(
            date: file.string("DATE-OBS"),
            survey: "Ondrejov",
            release: file.string("INSTRUME"),
            objectName: file.string("OBJECT"))
        metadata.ra = file.string("RA").flatMap(Sexagesimal.rightAscension)
        metadata.dec = file.string("DEC").flatMap(Sexagesimal.declination)
        metadata.mjd = file.double("JD").map { $0 - 2_400_000.5 } ?? file.double("MJD")
        // Vacuum-calibrated 1-D files say so; CCD700 files are in air.
        let frame: WavelengthFrame = (file.bool("VACUUM") ?? false) ? .vacuum : .air
        return Spectrum(layout: .ondrejovIRAF, frame: frame, wavelength: wavelength, flux: flux, metadata: metadata)
    }

    /// Ondřejov VO (SSAP) table: one row per pixel, `spectral` (Å, air) and `flux`.
    static func readOndrejovTable(_ file: FITSFile, primary: FITSHeader) throws -> Spectrum {
        guard let waveColumn = file.column("spectral"), let fluxColumn = file.column("flux") else {
            throw FITSError(.unknownLayout, "table lacks spectral or flux")
        }
        let rows = try file.rowCount()
        guard rows >= 2, rows <= FITSFile.maxElements else { throw FITSError(.badHeader, "table has \(rows) rows") }
        let wavelength = try file.readColumn(waveColumn, row: 1, count: rows)
        let flux = try file.readColumn(fluxColumn, row: 1, count: rows)
        var metadata = SpectrumMetadata(survey: "Ondrejov")
        // Keywords may sit in either HDU.
        for header in [file.header, primary] {
            metadata.objectName = metadata.objectName ?? header.string("OBJECT")
            metadata.ra = metadata.ra ?? header.double("RA")
            metadata.dec = metadata.dec ?? header.double("DEC")
            metadata.mjd = metadata.mjd ?? header.double("TMID")
            metadata.date = metadata.date ?? header.string("DATE-OBS")
            metadata.release = metadata.release ?? header.string("DS_IDPUB")
        }
        return Spectrum(layout: .ondrejovVOTable, frame: .air, wavelength: wavelength, flux: flux, metadata: metadata)
    }

    /// SDSS DR8+ `spec-`: `COADD` table, one row per pixel, `flux`, `loglam`, `ivar`.
    static func readSDSSSpec(_ file: FITSFile, primary: FITSHeader) throws -> Spectrum {
        var metadata = SpectrumMetadata(
            ra: primary.double("PLUG_RA") ?? primary.double("RA"),
            dec: primary.double("PLUG_DEC") ?? primary.double("DEC"),
            mjd: primary.double("MJD"),
            date: primary.string("DATE-OBS"),
            survey: "SDSS",
            release: primary.string("RUN2D") ?? primary.string("VERS2D"),
            objectName: primary.string("NAME"))
        guard let fluxColumn = file.column("flux"), let logColumn = file.column("loglam") else {
            throw FITSError(.unknownLayout, "COADD table lacks flux or loglam")
        }
        let rows = try file.rowCount()
        guard rows >= 2, rows <= FITSFile.maxElements else { throw FITSError(.badHeader, "table has \(rows) rows") }
        let flux = try file.readColumn(fluxColumn, row: 1, count: rows)
        let wavelength = try file.readColumn(logColumn, row: 1, count: rows).map { pow(10, $0) }
        let ivar = try file.column("ivar").map { try file.readColumn($0, row: 1, count: rows) }
        // The optional SPECOBJ table carries the pipeline's class; its absence is not an error.
        if (try? file.move(toHDU: 3)) != nil {
            if file.isBinaryTable, let classColumn = file.column("CLASS") {
                metadata.objectClass = try? file.readStrings(classColumn)
                metadata.subclass = file.column("SUBCLASS").flatMap { try? file.readStrings($0) }
                metadata.snr = file.column("SN_MEDIAN_ALL").flatMap { try? file.readColumn($0, row: 1, count: 1)[0] }
            }
        }
        return Spectrum(layout: .sdssSpec, frame: .vacuum, wavelength: wavelength, flux: flux,
                        inverseVariance: ivar, metadata: metadata)
    }

    /// SDSS DR1–DR7 `spSpec`: 4 × Npix image (spectrum, continuum-subtracted, σ, mask),
    /// λ from COEFF0/COEFF1; σ = 0 marks bad pixels.
    static func readSDSSSpSpec(_ file: FITSFile, npix: Int) throws -> Spectrum {
        let flux = try file.readPixels(first: 1, count: npix)
        let sigma = try file.readPixels(first: 2 * npix + 1, count: npix)
        let ivar = sigma.map { $0 > 0 && $0.isFinite ? 1 / ($0 * $0) : 0 }
        let wavelength = try logLinearGrid(c0: try coefficient(file.header, "COEFF0", "CRVAL1"),
                                           c1: try coefficient(file.header, "COEFF1", "CD1_1"), count: npix)
        let metadata = SpectrumMetadata(
            ra: file.double("RAOBJ") ?? file.double("RA"),
            dec: file.double("DECOBJ") ?? file.double("DEC"),
            mjd: file.double("MJD"),
            date: file.string("DATE-OBS"),
            objectClass: file.double("SPEC_CLN").map { "SPEC_CLN=\(Int($0))" },
            snr: file.double("SN_R"),
            survey: "SDSS",
            release: file.string("VERSION") ?? file.string("VERS1D"),
            objectName: file.string("NAME"))
        return Spectrum(layout: .sdssSpSpec, frame: .vacuum, wavelength: wavelength, flux: flux,
                        inverseVariance: ivar, metadata: metadata)
    }

    /// Header keywords shared by all LAMOST layouts (names differ between pipeline versions).
    static func lamostMetadata(_ file: FITSHeader) -> SpectrumMetadata {
        SpectrumMetadata(
            designation: file.string("DESIG"),
            ra: file.double("RA"),
            dec: file.double("DEC"),
            mjd: file.double("MJD"),
            date: file.string("DATE-OBS"),
            objectClass: file.string("CLASS"),
            subclass: file.string("SUBCLASS"),
            snr: file.double("SNRR") ?? file.double("SN_R"),
            survey: "LAMOST",
            release: file.string("DATA_V") ?? file.string("VERSPIPE").map { "pipeline \($0)" },
            objectName: file.string("OBJNAME"))
    }

    static func coefficient(_ file: FITSHeader, _ key: String, _ fallback: String) throws -> Double {
        guard let value = file.double(key) ?? file.double(fallback) else {
            throw FITSError(.missingKeyword, "no \(key) or \(fallback): no wavelength solution")
        }
        return value
    }
}
