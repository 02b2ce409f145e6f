import BalmerCore
import BalmerFITS
import BalmerSimulation
import Foundation
import FuzzSupport

/// Small valid files of every layout: simulated spectra cut to the Hα region and thinned to at
/// most `maxPixels` pixels, written by ``SpectrumFileWriter`` (a few kB each).
enum FITSSeeds {
    static let maxPixels = 150

    static func all() throws -> [(name: String, bytes: [UInt8])] {
        let folder = try Fuzz.temporaryFolder("fits-seeds")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, layout) in SpectrumLayout.allCases.enumerated() {
            let spectrum = small(source(for: layout, index: index))
            let gzipped = layout == .lamostDR9 || layout == .ondrejovIRAF
            for suffix in gzipped ? [".fits", ".fits.gz"] : [".fits"] {
                let name = layout.rawValue + suffix
                try SpectrumFileWriter().write(spectrum, as: layout, to: folder + "/" + name)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
                let read = try SpectrumFileReader().read(bytes: bytes, name: name)
                Fuzz.expect(read.layout == layout, "seed \(name) reads as \(read.layout)")
                seeds.append((name, Array(bytes)))
            }
        }
        // Inputs that once hurt (kept as regressions): a truncated gzip stream (cfitsio's inflate
        // loop leaked 512 MB) and a table whose NAXIS card is garbage (cfitsio read uninitialised
        // lengths).
        if let gz = seeds.first(where: { $0.name == "lamost-dr9.fits.gz" })?.bytes {
            seeds.append(("regression-truncated.fits.gz", Array(gz.prefix(gz.count / 2))))
        }
        if var table = seeds.first(where: { $0.name == "sdss-spec.fits" })?.bytes,
           let start = stride(from: 2880, to: table.count, by: 2880).first(where: { table[$0..<($0 + 8)].elementsEqual("XTENSION".utf8) }) {
            let sound = table
            table.replaceSubrange((start + 160)..<(start + 240), with: [UInt8](repeating: 0x11, count: 80))
            seeds.append(("regression-table-card.fits", table))
            // A PCOUNT of 1.1·10¹⁵ trapped converting the declared data size to Int64.
            if let card = stride(from: start, to: start + 2880, by: 80).first(where: { sound[$0..<($0 + 8)].elementsEqual("PCOUNT  ".utf8) }) {
                var huge = sound
                huge.replaceSubrange(card..<(card + 80), with: Array("PCOUNT  =     1111111111111111".padding(toLength: 80, withPad: " ", startingAt: 0).utf8))
                seeds.append(("regression-huge-pcount.fits", huge))
            }
        }
        return seeds
    }

    /// A simulated spectrum of the survey that writes `layout`.
    static func source(for layout: SpectrumLayout, index: Int) -> Spectrum {
        let kind: SurveyKind = switch layout {
        case .lamostDR1, .lamostDR2: .lamostDR2
        case .lamostDR9: .lamostDR9
        case .ondrejovIRAF, .ondrejovVOTable: .ccd700
        case .sdssSpec, .sdssSpSpec: .sdss
        }
        var spectrum = SurveySimulator(kind: kind, seed: 10).spectrum(at: index).spectrum
        spectrum.layout = layout
        return spectrum
    }

    /// The pixels between 6400 and 6900 Å, every k-th so that at most ``maxPixels`` remain
    /// (a log-linear or linear grid stays one).
    static func small(_ spectrum: Spectrum) -> Spectrum {
        let inside = spectrum.wavelength.indices.filter { (6400...6900).contains(spectrum.wavelength[$0]) }
        let step = max(1, (inside.count + maxPixels - 1) / maxPixels)
        let kept = Swift.stride(from: inside.first ?? 0, through: inside.last ?? 0, by: step).map { $0 }
        var out = spectrum
        out.wavelength = kept.map { spectrum.wavelength[$0] }
        out.flux = kept.map { spectrum.flux[$0] }
        out.inverseVariance = spectrum.inverseVariance.map { ivar in kept.map { ivar[$0] } }
        return out
    }
}
