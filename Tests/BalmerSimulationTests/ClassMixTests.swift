import Testing

@testable import BalmerSimulation

@Suite struct ClassMixTests {
    @Test func parsesAndNormalises() throws {
        let mix = try ClassMix(parsing: "single=0.41,double=0.12,other=0.47")
        #expect(abs(mix.single - 0.41) < 1e-12 && abs(mix.double - 0.12) < 1e-12 && abs(mix.other - 0.47) < 1e-12)
        let weights = try ClassMix(parsing: " other = 2 , single=1,double=1")
        #expect(abs(weights.single - 0.25) < 1e-12 && abs(weights.other - 0.5) < 1e-12)
        let aliases = try ClassMix(parsing: "emission=1,absorption=3")
        #expect(aliases.double == 0 && abs(aliases.other - 0.75) < 1e-12)
        #expect(try ClassMix(parsing: mix.description) == mix)
    }

    @Test func refusesBadText() {
        for bad in ["", "single", "single=x", "single=-1,other=1", "single=0,double=0", "quasar=1", "single=1,single=2"] {
            #expect(throws: ClassMixError.self) { try ClassMix(parsing: bad) }
        }
    }

    @Test func defaults() {
        let s = ClassMix.survey
        #expect(abs(s.single + s.double - 0.01) < 1e-9)
        #expect(abs(ClassMix.ondrejov.single - 0.41) < 1e-9 && abs(ClassMix.ondrejov.double - 0.12) < 1e-9)
        #expect(SurveyKind.ccd700.defaultMix == .ondrejov && SurveyKind.lamostDR2.defaultMix == .survey)
        #expect(SurveyKind(rawValue: "lamost-dr9") == .lamostDR9 && SurveyKind.ccd700.layout == .ondrejovIRAF)
        #expect(SurveyKind.sdss.layout == .sdssSpec && SurveyKind.lamostDR2.layout == .lamostDR2)
    }
}
