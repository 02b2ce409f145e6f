import BalmerCore
import Foundation

/// File names, designations, dates and pipeline keywords in each survey's own style.
///
/// Names are unique within one `(kind, seed)` up to millions of spectra because the plan / plate /
/// night and the fibre / frame are derived from the index: LAMOST 4000 spectra per plan (16
/// spectrographs × 250 fibres), SDSS 1000 per plate, CCD700 40 frames per night.
struct SurveyNaming: Sendable {
    let kind: SurveyKind
    let seed: UInt64

    static let lamostPerPlan = 4000
    static let sdssPerPlate = 1000
    static let ccd700PerNight = 40

    /// Metadata for spectrum `index` of `object`.
    func metadata(index: Int, object: SimulatedObject) -> SpectrumMetadata {
        var rng = SeededGenerator(seed: seed, stream: 2, index: UInt64(index))
        switch kind {
        case .lamostDR2, .lamostDR9: return lamost(index: index, object: object, rng: &rng)
        case .sdss: return sdss(index: index, object: object, rng: &rng)
        case .ccd700: return ccd700(index: index, object: object, rng: &rng)
        }
    }

    // MARK: LAMOST

    private func lamost(index: Int, object: SimulatedObject, rng: inout SeededGenerator) -> SpectrumMetadata {
        let plan = index / Self.lamostPerPlan
        let within = index % Self.lamostPerPlan
        let spectrograph = within / 250 + 1
        let fibre = within % 250 + 1
        var planRNG = SeededGenerator(seed: seed, stream: 3, index: UInt64(plan))
        let (firstLMJD, span) = kind == .lamostDR2 ? (55_859, 941) : (55_859, 3481)
        let lmjd = firstLMJD + (plan * 37) % span
        let centreRA = planRNG.uniform(0, 360)
        let centreDec = planRNG.uniform(-9, 70)
        let planID: String
        switch planRNG.int(0...2) {
        case 0:
            planID = "GAC" + Self.pad(Int(centreRA), 3) + (centreDec < 0 ? "S" : "N") + Self.pad(Int(abs(centreDec)), 2)
                + ["V", "B", "M", "F"][planRNG.int(0...3)] + String(planRNG.int(1...3))
        case 1:
            let ra = Self.sexagesimalRA(centreRA)
            let dec = Self.sexagesimalDec(centreDec)
            planID = "HD" + ra.prefix(6) + (centreDec < 0 ? "S" : "N") + dec.dropFirst().prefix(6) + "B01"
        default:
            planID = "B" + String(lmjd / 10) + Self.pad(planRNG.int(1...9), 2)
        }
        let dec = max(-10, min(89, centreDec + rng.uniform(-2.5, 2.5)))
        var ra = centreRA + rng.uniform(-2.5, 2.5) / max(0.2, cos(dec * .pi / 180))
        ra = (ra.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360)
        let mjd = Double(lmjd - 1) + rng.uniform(0.5, 0.9)
        let designation = "LAMOST J" + Self.sexagesimalRA(ra) + Self.sexagesimalDec(dec)
        return SpectrumMetadata(
            designation: designation, ra: ra, dec: dec, mjd: mjd, date: Self.isoDate(mjd: mjd, withTime: true),
            objectClass: object.pipelineClass, subclass: object.pipelineSubclass, snr: object.snr, survey: "LAMOST",
            release: kind == .lamostDR2 ? "2.7.5" : "LAMOST DR9", objectName: nil,
            fileName: "spec-\(lmjd)-\(planID)_sp\(Self.pad(spectrograph, 2))-\(Self.pad(fibre, 3)).fits")
    }

    // MARK: SDSS

    private func sdss(index: Int, object: SimulatedObject, rng: inout SeededGenerator) -> SpectrumMetadata {
        let plateNumber = index / Self.sdssPerPlate
        let fibre = index % Self.sdssPerPlate + 1
        var plateRNG = SeededGenerator(seed: seed, stream: 3, index: UInt64(plateNumber))
        let plate = 3000 + Int(SeededGenerator.mix(seed) % 3000) + plateNumber
        let mjdDay = 55_000 + (plate * 13) % 3500
        let centreRA = plateRNG.uniform(0, 360)
        let centreDec = plateRNG.uniform(-10, 70)
        let dec = centreDec + rng.uniform(-1.49, 1.49)
        var ra = centreRA + rng.uniform(-1.49, 1.49) / max(0.2, cos(dec * .pi / 180))
        ra = (ra.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360)
        let mjd = Double(mjdDay) + rng.uniform(0.1, 0.45)
        return SpectrumMetadata(
            designation: "SDSS J" + Self.sexagesimalRA(ra) + Self.sexagesimalDec(dec), ra: ra, dec: dec, mjd: mjd,
            date: Self.isoDate(mjd: mjd, withTime: false), objectClass: object.pipelineClass == "Unknown" ? "STAR" : object.pipelineClass,
            subclass: object.pipelineSubclass, snr: object.snr, survey: "SDSS", release: "v5_13_2", objectName: nil,
            fileName: "spec-\(Self.pad(plate, 4))-\(mjdDay)-\(Self.pad(fibre, 4)).fits")
    }

    // MARK: Ondřejov CCD700

    private static let constellations = ["Cas", "Cep", "Cyg", "Lac", "Per", "Aur", "Gem", "Ori", "Tau", "Sex", "Leo", "Lyr", "Her", "Aql", "And"]
    private static let greek = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "omicron", "phi", "psi"]

    private func ccd700(index: Int, object: SimulatedObject, rng: inout SeededGenerator) -> SpectrumMetadata {
        let night = index / Self.ccd700PerNight
        let frame = (index % Self.ccd700PerNight) * 2 + 1 + rng.int(0...1)
        var nightRNG = SeededGenerator(seed: seed, stream: 3, index: UInt64(night))
        let start2005 = 53_371  // MJD of 2005-01-01
        let firstDay = start2005 + Int(SeededGenerator.mix(seed ^ 0xC0DE) % 2000)
        let day = firstDay + night * 2 + nightRNG.int(0...1)
        // Evening of `day` to early morning (UT); frames are named after the night's evening date.
        let mjd = Double(day) + rng.uniform(0.8, 1.15)
        let (year, month, dayOfMonth) = Self.civil(mjd: Double(day))
        let fileName: String
        if year <= 2012 {
            let y = Character(Unicode.Scalar(UInt8(97 + (year - 1991))))
            let m = Character(Unicode.Scalar(UInt8(97 + month - 1)))
            fileName = "\(y)\(m)\(Self.pad(dayOfMonth, 2))\(Self.pad(frame, 4)).fits"
        } else {
            fileName = "a\(year)\(Self.pad(month, 2))\(Self.pad(dayOfMonth, 2))\(Self.pad(frame, 4)).fits"
        }
        let name: String
        switch rng.int(0...3) {
        case 0: name = "HD \(rng.int(1000...240_000))"
        case 1: name = "HR \(rng.int(10...9100))"
        case 2: name = "BD+\(Self.pad(rng.int(0...60), 2)) \(rng.int(1...4000))"
        default: name = "\(Self.greek[rng.int(0...(Self.greek.count - 1))]) \(Self.constellations[rng.int(0...(Self.constellations.count - 1))])"
        }
        return SpectrumMetadata(
            designation: nil, ra: rng.uniform(0, 360), dec: rng.uniform(-25, 89), mjd: mjd,
            date: Self.isoDate(mjd: mjd, withTime: false), objectClass: nil, subclass: nil, snr: object.snr,
            survey: "Ondrejov", release: nil, objectName: name, fileName: fileName)
    }

    // MARK: Formatting helpers

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `hhmmss.ss` (truncated, never 60).
    static func sexagesimalRA(_ degrees: Double) -> String {
        let centiseconds = Int((degrees / 15 * 360_000).rounded(.down)) % (24 * 360_000)
        let h = centiseconds / 360_000
        let m = (centiseconds / 6000) % 60
        let cs = centiseconds % 6000
        return pad(h, 2) + pad(m, 2) + pad(cs / 100, 2) + "." + pad(cs % 100, 2)
    }

    /// `±ddmmss.s` (truncated).
    static func sexagesimalDec(_ degrees: Double) -> String {
        let deciseconds = Int((abs(degrees) * 36_000).rounded(.down))
        let d = deciseconds / 36_000
        let m = (deciseconds / 600) % 60
        let ds = deciseconds % 600
        return (degrees < 0 ? "-" : "+") + pad(d, 2) + pad(m, 2) + pad(ds / 10, 2) + "." + String(ds % 10)
    }

    /// Proleptic Gregorian (year, month, day) of an MJD (days since 1858-11-17).
    static func civil(mjd: Double) -> (Int, Int, Int) {
        // Days since 1970-01-01, then H. Hinnant's civil-from-days.
        let z = Int(mjd.rounded(.down)) - 40_587 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss.ss` (UTC) of an MJD.
    static func isoDate(mjd: Double, withTime: Bool) -> String {
        let (y, m, d) = civil(mjd: mjd)
        var text = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
        if withTime {
            let centiseconds = Int(((mjd - mjd.rounded(.down)) * 8_640_000).rounded(.down))
            text += "T" + pad(centiseconds / 360_000, 2) + ":" + pad((centiseconds / 6000) % 60, 2) + ":"
                + pad((centiseconds % 6000) / 100, 2) + "." + pad(centiseconds % 100, 2)
        }
        return text
    }
}
