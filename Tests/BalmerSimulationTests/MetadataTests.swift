import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct MetadataTests {
    func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    @Test(arguments: [SurveyKind.lamostDR2, .lamostDR9])
    func lamostMetadataLooksReal(kind: SurveyKind) throws {
        let sim = SurveySimulator(kind: kind, seed: 8)
        for i in [0, 1, 249, 250, 3999, 4000, 12_345] {
            let m = sim.spectrum(at: i).spectrum.metadata
            let name = try #require(m.fileName)
            #expect(matches(name, #"^spec-\d{5}-[A-Z0-9]+_sp(0[1-9]|1[0-6])-\d{3}\.fits$"#), "\(name)")
            let lmjd = Int(name.dropFirst(5).prefix(5))!
            #expect(kind == .lamostDR2 ? (55_859...56_800).contains(lmjd) : (55_859...59_340).contains(lmjd))
            #expect(abs((m.mjd ?? 0) - Double(lmjd)) < 1.5)
            let designation = try #require(m.designation)
            #expect(matches(designation, #"^LAMOST J\d{6}\.\d{2}[+-]\d{6}\.\d$"#), "\(designation)")
            // The designation encodes RA/Dec (truncated).
            let ra = try #require(m.ra), dec = try #require(m.dec)
            let digits = Array(designation.dropFirst(8))
            let hh = Double(String(digits[0..<2]))!, mm = Double(String(digits[2..<4]))!, ss = Double(String(digits[4..<9]))!
            #expect(abs((hh + mm / 60 + ss / 3600) * 15 - ra) < 0.001)
            let sign: Double = digits[9] == "-" ? -1 : 1
            let dd = Double(String(digits[10..<12]))!, dm = Double(String(digits[12..<14]))!, ds = Double(String(digits[14..<18]))!
            #expect(abs(sign * (dd + dm / 60 + ds / 3600) - dec) < 0.001)
            #expect(m.survey == "LAMOST")
            #expect(m.release == (kind == .lamostDR2 ? "2.7.5" : "LAMOST DR9"))
            #expect(["STAR", "GALAXY", "QSO", "Unknown"].contains(m.objectClass ?? ""))
            #expect(m.subclass != nil && m.snr != nil)
            #expect(matches(m.date ?? "", #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{2}$"#))
        }
    }

    @Test func ccd700AndSDSSMetadataLookReal() throws {
        let ccd = SurveySimulator(kind: .ccd700, seed: 8)
        var oldStyle = 0
        var newStyle = 0
        for i in stride(from: 0, to: 200_000, by: 4001) {
            let t = ccd.truth(at: i)
            if matches(t.file, #"^[a-z][a-l](0[1-9]|[12]\d|3[01])\d{4}\.fits$"#) { oldStyle += 1 }
            if matches(t.file, #"^a20\d{6}\d{4}\.fits$"#) { newStyle += 1 }
        }
        #expect(oldStyle + newStyle == 50 && oldStyle > 0)
        let m = ccd.spectrum(at: 3).spectrum.metadata
        #expect(m.survey == "Ondrejov" && !(m.objectName ?? "").isEmpty && m.designation == nil)
        #expect(matches(m.date ?? "", #"^\d{4}-\d{2}-\d{2}$"#))
        let sdss = SurveySimulator(kind: .sdss, seed: 8).spectrum(at: 1234).spectrum.metadata
        #expect(matches(sdss.fileName ?? "", #"^spec-\d{4,5}-\d{5}-\d{4}\.fits$"#), "\(sdss.fileName ?? "")")
        #expect(sdss.survey == "SDSS" && sdss.release != nil)
        #expect(sdss.fileName?.hasSuffix("-0235.fits") == true)
    }

    @Test func civilDatesAreRight() {
        #expect(SurveyNaming.isoDate(mjd: 51_544, withTime: false) == "2000-01-01")
        #expect(SurveyNaming.isoDate(mjd: 55_927.5, withTime: true) == "2012-01-01T12:00:00.00")
        #expect(SurveyNaming.isoDate(mjd: 53_371, withTime: false) == "2005-01-01")
        #expect(SurveyNaming.sexagesimalRA(359.9999999) == "235959.99")
        #expect(SurveyNaming.sexagesimalDec(-0.5) == "-003000.0")
    }
}
