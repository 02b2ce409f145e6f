import BalmerCore
import Foundation

/// Writes spectra as FITS files in the real survey layouts (headers included), so synthetic
/// surveys look to every reader like the archives they imitate. A path ending in `.gz` is
/// written gzipped. Blocking.
public struct SpectrumFileWriter: Sendable {
    public init() {}

    /// Writes `spectrum` in `layout` to `path`. The wavelength grid must suit the layout:
    /// log-linear (1e-4 dex) for LAMOST and SDSS, linear for Ondřejov IRAF files.
    public func write(_ spectrum: Spectrum, as layout: SpectrumLayout, to path: String) throws {
        let file = try FITSFile.create(path: path)
        switch layout {
        case .lamostDR1, .lamostDR2: try writeLAMOSTImage(spectrum, layout: layout, file)
        case .lamostDR9: try writeLAMOSTTable(spectrum, file)
        case .ondrejovIRAF: try writeOndrejovIRAF(spectrum, file)
        case .ondrejovVOTable: try writeOndrejovTable(spectrum, file)
        case .sdssSpec: try writeSDSSSpec(spectrum, file)
        case .sdssSpSpec: try writeSDSSSpSpec(spectrum, file)
        }
        try file.close()
    }

    private func logLinearKeys(_ spectrum: Spectrum) -> [(String, FITSKeyValue, String)] {
        let c0 = log10(spectrum.wavelength[0])
        let n = spectrum.wavelength.count
        let c1 = n > 1 ? (log10(spectrum.wavelength[n - 1]) - c0) / Double(n - 1) : 1e-4
        return [
            ("CRVAL1", .double(c0), "Central wavelength (log10) of first pixel"),
            ("CD1_1", .double(c1), "Log10 dispersion per pixel"),
            ("CRPIX1", .int(1), "Starting pixel (1-indexed)"),
            ("CTYPE1", .string("LINEAR"), ""),
            ("DC-FLAG", .int(1), "Log-linear flag"),
            ("COEFF0", .double(c0), "Central wavelength (log10) of first pixel"),
            ("COEFF1", .double(c1), "Log10 dispersion per pixel"),
            ("VACUUM", .bool(true), "Wavelengths are in vacuum"),
        ]
    }

    private func lamostKeys(_ m: SpectrumMetadata, layout: SpectrumLayout) -> [(String, FITSKeyValue, String)] {
        var keys: [(String, FITSKeyValue, String)] = [
            ("TELESCOP", .string("LAMOST"), "GuoShouJing Telescope"),
            ("DATE-OBS", .string(m.date ?? "2012-01-01T00:00:00"), "Median UTC"),
            ("DESIG", .string(m.designation ?? "LAMOST J000000.00+000000.0"), "Designation of LAMOST target"),
            ("RA", .double(m.ra ?? 0), "[deg] Right ascension of object"),
            ("DEC", .double(m.dec ?? 0), "[deg] Declination of object"),
            ("CLASS", .string(m.objectClass ?? "STAR"), "Spectra class"),
            ("SUBCLASS", .string(m.subclass ?? "Non"), "Spectra subclass"),
            ("MJD", .int(Int(m.mjd ?? 55900)), "Modified Julian day"),
            ("LMJD", .int(Int(m.mjd ?? 55900) + 1), "Local Modified Julian day"),
            ("HELIO", .bool(true), "Heliocentric correction"),
        ]
        switch layout {
        case .lamostDR9:
            keys.append(("DATA_V", .string(m.release ?? "LAMOST DR9"), "Data version"))
            keys.append(("VERSPIPE", .string("v2.9.8"), "Version of Pipeline"))
            keys.append(("SNRR", .double(m.snr ?? 0), "SNR of r filter"))
        case .lamostDR1:
            keys.append(("VERSPIPE", .string("v2.6.4"), "Version of Pipeline"))
            keys.append(("SN_R", .double(m.snr ?? 0), "SNR of r filter"))
        default:
            keys.append(("VERSPIPE", .string(m.release.map { $0.replacingOccurrences(of: "pipeline ", with: "") } ?? "2.7.5"), "Version of Pipeline"))
            keys.append(("SN_R", .double(m.snr ?? 0), "SNR of r filter"))
        }
        if let name = m.objectName { keys.append(("OBJNAME", .string(name), "Name of object")) }
        return keys
    }

    private func ivarOrOnes(_ spectrum: Spectrum) -> [Double] {
        spectrum.inverseVariance ?? Array(repeating: 1, count: spectrum.flux.count)
    }

    private func writeLAMOSTImage(_ spectrum: Spectrum, layout: SpectrumLayout, _ file: FITSFile) throws {
        let n = spectrum.flux.count
        let isDR1 = layout == .lamostDR1
        try file.createImage(bitpix: isDR1 ? -32 : -64, sizes: [n, 5])
        let normalised = normalise(spectrum.flux)
        let row3 = isDR1 ? normalised : spectrum.wavelength
        let zeros = [Double](repeating: 0, count: n)
        try file.writePixels(spectrum.flux + ivarOrOnes(spectrum) + row3 + zeros + zeros)
        try file.write(keys: [
            ("EXTEN0", .string(isDR1 ? "Flux Inverse Subcontinuum Andmask Ormask" : "Flux Inverse Wavelength Andmask Ormask"),
             "Rows of the image"),
            ("N_EXTEN", .int(1), "The extension number"),
        ] + lamostKeys(spectrum.metadata, layout: layout) + logLinearKeys(spectrum))
    }

    private func writeLAMOSTTable(_ spectrum: Spectrum, _ file: FITSFile) throws {
        let n = spectrum.flux.count
        try file.createImage(bitpix: 8, sizes: [])
        try file.write(keys: [("N_EXTEN", .int(2), "The extension number"), ("NORM", .int(1), "Normalization")]
            + lamostKeys(spectrum.metadata, layout: .lamostDR9) + logLinearKeys(spectrum))
        let columns = ["FLUX", "IVAR", "WAVELENGTH", "ANDMASK", "ORMASK", "NORMALIZATION"].map {
            FITSColumn(name: $0, format: "\(n)E")
        }
        try file.createBinaryTable(name: "COADD", rows: 1, columns: columns)
        let zeros = [Double](repeating: 0, count: n)
        for (column, values) in [spectrum.flux, ivarOrOnes(spectrum), spectrum.wavelength, zeros, zeros,
                                 normalise(spectrum.flux)].enumerated() {
            try file.writeColumn(column + 1, values: values)
        }
    }

    private func writeOndrejovIRAF(_ spectrum: Spectrum, _ file: FITSFile) throws {
        let n = spectrum.flux.count
        let step = n > 1 ? (spectrum.wavelength[n - 1] - spectrum.wavelength[0]) / Double(n - 1) : 1
        let m = spectrum.metadata
        try file.createImage(bitpix: -32, sizes: [n])
        try file.writePixels(spectrum.flux)
        var keys: [(String, FITSKeyValue, String)] = [
            ("ORIGIN", .string("NOAO-IRAF FITS Image Kernel July 2003"), "FITS file originator"),
            ("OBSERVAT", .string("ONDREJOV"), "Name of the observatory"),
            ("TELESCOP", .string("ZEISS-2m"), "Telescope"),
            ("INSTRUME", .string("COUDE700"), "Instrument"),
            ("BUNIT", .string("ADU"), ""),
            ("OBJECT", .string(m.objectName ?? "unknown"), "Name of the object observed"),
            ("DATE-OBS", .string(m.date ?? "2011-01-28"), "Date of observation"),
            ("CRVAL1", .double(spectrum.wavelength[0]), ""),
            ("CDELT1", .double(step), ""),
            ("CD1_1", .double(step), ""),
            ("CRPIX1", .double(1), ""),
            ("CTYPE1", .string("LINEAR"), ""),
            ("DC-FLAG", .int(0), ""),
            ("WCSDIM", .int(1), ""),
            ("WAT0_001", .string("system=equispec"), ""),
            ("WAT1_001", .string("wtype=linear label=Wavelength units=angstroms"), ""),
        ]
        if let ra = m.ra { keys.append(("RA", .string(Self.sexagesimal(ra / 15, signed: false)), "Right ascension")) }
        if let dec = m.dec { keys.append(("DEC", .string(Self.sexagesimal(dec, signed: true)), "Declination")) }
        if let mjd = m.mjd { keys.append(("JD", .double(mjd + 2_400_000.5), "Julian date")) }
        if spectrum.frame == .vacuum { keys.append(("VACUUM", .bool(true), "Wavelengths are in vacuum")) }
        try file.write(keys: keys)
    }

    private func writeOndrejovTable(_ spectrum: Spectrum, _ file: FITSFile) throws {
        let m = spectrum.metadata
        try file.createImage(bitpix: 8, sizes: [])
        try file.createBinaryTable(name: "SPECTRUM", rows: spectrum.flux.count, columns: [
            FITSColumn(name: "spectral", format: "1D", unit: "Angstrom"),
            FITSColumn(name: "flux", format: "1D"),
        ])
        try file.writeColumn(1, values: spectrum.wavelength)
        try file.writeColumn(2, values: spectrum.flux)
        var keys: [(String, FITSKeyValue, String)] = [
            ("OBJECT", .string(m.objectName ?? "unknown"), ""),
            ("FLUX_CAL", .string("UNCALIBRATED"), ""),
            ("SPEC_CAL", .string("ABSOLUTE"), ""),
        ]
        if let ra = m.ra { keys.append(("RA", .double(ra), "[deg]")) }
        if let dec = m.dec { keys.append(("DEC", .double(dec), "[deg]")) }
        if let mjd = m.mjd { keys.append(("TMID", .double(mjd), "[d] MJD mid exposure")) }
        if let release = m.release { keys.append(("DS_IDPUB", .string(release), "")) }
        try file.write(keys: keys)
    }

    private func writeSDSSSpec(_ spectrum: Spectrum, _ file: FITSFile) throws {
        let m = spectrum.metadata
        try file.createImage(bitpix: 8, sizes: [])
        try file.write(keys: [
            ("TELESCOP", .string("SDSS 2.5-M"), ""),
            ("MJD", .int(Int(m.mjd ?? 55000)), ""),
            ("PLUG_RA", .double(m.ra ?? 0), "[deg]"),
            ("PLUG_DEC", .double(m.dec ?? 0), "[deg]"),
            ("RUN2D", .string(m.release ?? "v5_13_2"), ""),
            ("BUNIT", .string("1E-17 erg/cm^2/s/Ang"), ""),
        ] + logLinearKeys(spectrum))
        let n = spectrum.flux.count
        try file.createBinaryTable(name: "COADD", rows: n, columns: [
            FITSColumn(name: "flux", format: "1E"), FITSColumn(name: "loglam", format: "1E"),
            FITSColumn(name: "ivar", format: "1E"), FITSColumn(name: "and_mask", format: "1J"),
            FITSColumn(name: "or_mask", format: "1J"), FITSColumn(name: "wdisp", format: "1E"),
            FITSColumn(name: "sky", format: "1E"), FITSColumn(name: "model", format: "1E"),
        ])
        let zeros = [Double](repeating: 0, count: n)
        let columns = [spectrum.flux, spectrum.wavelength.map(log10), ivarOrOnes(spectrum), zeros, zeros,
                       [Double](repeating: 1, count: n), zeros, spectrum.flux]
        for (column, values) in columns.enumerated() { try file.writeColumn(column + 1, values: values) }
        try file.createBinaryTable(name: "SPECOBJ", rows: 1, columns: [
            FITSColumn(name: "CLASS", format: "6A"), FITSColumn(name: "SUBCLASS", format: "21A"),
            FITSColumn(name: "SN_MEDIAN_ALL", format: "1E"),
        ])
        try file.writeColumn(1, strings: [m.objectClass ?? "STAR"])
        try file.writeColumn(2, strings: [m.subclass ?? ""])
        try file.writeColumn(3, values: [m.snr ?? 0])
    }

    private func writeSDSSSpSpec(_ spectrum: Spectrum, _ file: FITSFile) throws {
        let m = spectrum.metadata
        let n = spectrum.flux.count
        try file.createImage(bitpix: -32, sizes: [n, 4])
        let sigma = ivarOrOnes(spectrum).map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        try file.writePixels(spectrum.flux + spectrum.flux + sigma + [Double](repeating: 0, count: n))
        try file.write(keys: [
            ("TELESCOP", .string("SDSS 2.5-M"), ""),
            ("ARRAY1", .string("SPECTRUM"), ""), ("ARRAY2", .string("CONTINUUM-SUBTRACTED SPECTRUM"), ""),
            ("ARRAY3", .string("ERROR"), ""), ("ARRAY4", .string("MASK"), ""),
            ("MJD", .int(Int(m.mjd ?? 52000)), ""),
            ("RAOBJ", .double(m.ra ?? 0), "[deg]"), ("DECOBJ", .double(m.dec ?? 0), "[deg]"),
            ("SN_R", .double(m.snr ?? 0), ""),
            ("NAME", .string(m.objectName ?? "0000-52000-00"), ""),
        ] + logLinearKeys(spectrum))
    }

    /// Row 3 of DR1 files and the DR9 NORMALIZATION column: flux over its median.
    private func normalise(_ flux: [Double]) -> [Double] {
        let sorted = flux.filter(\.isFinite).sorted()
        let median = sorted.isEmpty ? 1 : sorted[sorted.count / 2]
        return flux.map { median != 0 ? $0 / median : $0 }
    }

    /// `hh:mm:ss.ss` (or `±dd:mm:ss.s`) for the given value in hours (or degrees).
    static func sexagesimal(_ value: Double, signed: Bool) -> String {
        let magnitude = abs(value)
        let whole = Int(magnitude)
        let minutes = Int((magnitude - Double(whole)) * 60)
        let seconds = (magnitude - Double(whole) - Double(minutes) / 60) * 3600
        let sign = signed ? (value < 0 ? "-" : "+") : ""
        return String(format: "%@%02d:%02d:%05.2f", sign, whole, minutes, seconds)
    }
}
