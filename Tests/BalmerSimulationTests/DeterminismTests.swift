import BalmerCore
import Testing

@testable import BalmerSimulation

@Suite struct DeterminismTests {
    @Test(arguments: SurveyKind.allCases)
    func sameSeedAndIndexGiveTheSameSpectrum(kind: SurveyKind) {
        let a = SurveySimulator(kind: kind, seed: 99)
        let b = SurveySimulator(kind: kind, seed: 99)
        // Different generation order must not matter.
        let later = (0..<5).map { a.spectrum(at: $0 * 3) }
        for k in (0..<5).reversed() {
            let s = b.spectrum(at: k * 3)
            #expect(s.spectrum.flux == later[k].spectrum.flux)
            #expect(s.spectrum.wavelength == later[k].spectrum.wavelength)
            #expect(s.spectrum.inverseVariance == later[k].spectrum.inverseVariance)
            #expect(s.spectrum.metadata == later[k].spectrum.metadata)
            #expect(s.truth == later[k].truth)
            #expect(a.truth(at: k * 3) == s.truth)
            #expect(s.truth.file == s.spectrum.metadata.fileName)
        }
        let other = SurveySimulator(kind: kind, seed: 100).spectrum(at: 0)
        #expect(other.spectrum.flux != later[0].spectrum.flux)
        #expect(a.spectrum(at: 1).spectrum.flux != later[0].spectrum.flux)
    }

    @Test func parallelGenerationMatchesSerial() async {
        let sim = SurveySimulator(kind: .lamostDR2, seed: 5)
        let serial = (0..<16).map { sim.spectrum(at: $0).spectrum.flux }
        let parallel = await withTaskGroup(of: (Int, [Double]).self) { group in
            for i in 0..<16 { group.addTask { (i, sim.spectrum(at: i).spectrum.flux) } }
            var out = [[Double]](repeating: [], count: 16)
            for await (i, flux) in group { out[i] = flux }
            return out
        }
        #expect(parallel == serial)
    }

    @Test(arguments: SurveyKind.allCases)
    func fileNamesAreUnique(kind: SurveyKind) {
        let sim = SurveySimulator(kind: kind, seed: 3)
        // Indices spread over several plans / plates / nights, including plan boundaries.
        let indices = Array(0..<1500) + Array(3990..<4010) + Array(7990..<8010) + Array(39_990..<40_010)
        let names = indices.map { sim.truth(at: $0).file }
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.hasSuffix(".fits") })
    }
}

@Suite struct ClassMixRateTests {
    func counts(_ sim: SurveySimulator, _ n: Int) -> [SpectrumClass: Int] {
        var c: [SpectrumClass: Int] = [:]
        for i in 0..<n { c[sim.truth(at: i).label, default: 0] += 1 }
        return c
    }

    @Test func surveyMixIsHonoured() {
        let n = 6000
        let c = counts(SurveySimulator(kind: .lamostDR9, seed: 21), n)
        #expect(Measure.binomialBounds(n: n, p: 0.007).contains(Double(c[.single] ?? 0)))
        #expect(Measure.binomialBounds(n: n, p: 0.003).contains(Double(c[.double] ?? 0)))
        #expect(Measure.binomialBounds(n: n, p: 0.99).contains(Double(c[.other] ?? 0)))
    }

    @Test func ondrejovAndCustomMixesAreHonoured() throws {
        let n = 3000
        let c = counts(SurveySimulator(kind: .ccd700, seed: 4), n)
        #expect(Measure.binomialBounds(n: n, p: 0.41).contains(Double(c[.single] ?? 0)))
        #expect(Measure.binomialBounds(n: n, p: 0.12).contains(Double(c[.double] ?? 0)))
        #expect(Measure.binomialBounds(n: n, p: 0.47).contains(Double(c[.other] ?? 0)))
        let custom = try ClassMix(parsing: "single=0.2,double=0.3,other=0.5")
        let d = counts(SurveySimulator(kind: .sdss, seed: 8, mix: custom), n)
        #expect(Measure.binomialBounds(n: n, p: 0.2).contains(Double(d[.single] ?? 0)))
        #expect(Measure.binomialBounds(n: n, p: 0.3).contains(Double(d[.double] ?? 0)))
    }

    @Test func subtypesMatchLabels() {
        let sim = SurveySimulator(kind: .lamostDR2, seed: 2, mix: ClassMix(single: 1, double: 1, other: 2))
        let emitterTypes: Set<String> = ["Be", "T Tauri", "dMe", "emission-in-absorption", "shell", "CV"]
        var seen: Set<String> = []
        for i in 0..<800 {
            let t = sim.truth(at: i)
            seen.insert(t.subtype)
            #expect(emitterTypes.contains(t.subtype) == t.label.isTarget)
            if t.subtype == "M-dwarf" || t.subtype == "dMe" { #expect(t.artefacts.contains("molecular-bands")) }
        }
        for s in ["Be", "shell", "dMe", "G", "K", "A", "M-dwarf", "galaxy", "qso"] { #expect(seen.contains(s), "missing \(s)") }
        let ccd = SurveySimulator(kind: .ccd700, seed: 2)
        for i in 0..<500 {
            let t = ccd.truth(at: i)
            #expect(t.artefacts.isEmpty)
            #expect(!["galaxy", "qso", "M-dwarf", "dMe", "CV"].contains(t.subtype))
        }
    }
}
