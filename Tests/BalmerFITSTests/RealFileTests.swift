import BalmerCore
import BalmerTestSupport
import Testing
@testable import BalmerFITS

/// Real survey files written by the survey pipelines (shared/data/real). Skipped, loudly, when absent.
@Suite(.enabled(if: RealData.available, "../shared/data/real is absent: real-file tests skipped"))
struct RealFileTests {
    let reader = SpectrumFileReader()

    @Test func everyRealFileReadsAndYieldsFeatures() throws {
        let files = RealData.files
        #expect(files.count >= 24)
        for path in files {
            let spectrum = try reader.read(path: path)
            let expected: SpectrumLayout =
                path.contains("lamost-dr1") ? .lamostDR1 : path.contains("lamost-dr2") ? .lamostDR2
                : path.contains("lamost-dr9") ? .lamostDR9 : path.hasSuffix("alpha-lyr-absorption.fits")
                ? .ondrejovVOTable : .ondrejovIRAF
            #expect(spectrum.layout == expected, "\(path)")
            #expect(spectrum.frame == expected.frame)
            let config: PreprocessingConfig = expected.frame == .air ? .ccd700 : .survey
            let features = try Preprocessor(config: config).features(of: spectrum).get()
            #expect(features.count == 140)
            #expect(abs(features.min()! + 1) < 1e-6 && abs(features.max()! - 1) < 1e-6)
        }
    }

    @Test func lamostDR1TakesWavelengthFromCoefficients() throws {
        let path = try #require(RealData.files.first { $0.contains("lamost-dr1/spec-55939-B5593905_sp01-018") })
        let s = try reader.read(path: path)
        #expect(s.wavelength.count == 3909)
        #expect(abs(s.wavelength[0] - 3699.99) < 0.01)
        #expect(abs(s.wavelength[3908] - 9099.1) < 0.1)
        #expect(s.metadata.designation == "LAMOST J111021.94+274358.6")
        #expect(s.metadata.subclass == "G5")
        #expect(abs((s.metadata.snr ?? 0) - 42.71) < 0.01)
        #expect(s.metadata.release == "pipeline v2.6.4")
    }

    @Test func lamostDR2ReadsFloat64Rows() throws {
        let path = try #require(RealData.files.first { $0.contains("spec-56257-GAC089N38V2_sp01-001") })
        let s = try reader.read(path: path)
        #expect(s.layout == .lamostDR2)
        #expect(s.wavelength.count == 3899)
        #expect(abs(s.wavelength.last! - 9078.2) < 0.1)
        #expect(s.metadata.subclass == "A5V")
        #expect(abs((s.metadata.snr ?? 0) - 44.16) < 0.01)
        #expect(abs((s.metadata.ra ?? 0) - 89.34490) < 1e-4)
    }

    @Test func lamostDR9ReadsGzippedTable() throws {
        let path = try #require(RealData.files.first { $0.contains("spec-60591-LN042429N340750BM01_sp01-001") })
        let s = try reader.read(path: path)
        #expect(s.layout == .lamostDR9)
        #expect(s.metadata.release == "LAMOST DR13 Q1")
        #expect(abs((s.metadata.snr ?? 0) - 194.94) < 0.01)
        #expect(s.metadata.designation == "LAMOST J042543.91+323730.3")
        #expect(s.inverseVariance?.count == s.flux.count)
    }

    @Test func ondrejovFilesAreAirWithSexagesimalCoordinates() throws {
        let path = try #require(RealData.files.first { $0.hasSuffix("ua280060.fits") })
        let s = try reader.read(path: path)
        #expect(s.layout == .ondrejovIRAF && s.frame == .air)
        #expect(s.wavelength.count == 1997)
        #expect(abs(s.wavelength[0] - 6253.0) < 0.1)
        #expect(abs(s.wavelength[1] - s.wavelength[0] - 0.2567) < 0.001)
        #expect(s.metadata.objectName == "17 Sex")
        #expect(s.metadata.ra != nil && s.metadata.dec != nil)

        let vega = try reader.read(path: try #require(RealData.files.first { $0.hasSuffix("alpha-lyr-absorption.fits") }))
        #expect(vega.layout == .ondrejovVOTable && vega.frame == .air)
        #expect(abs((vega.metadata.ra ?? 0) - 279.23475) < 1e-3)
        // Vega's H-alpha minimum sits near 6562.5 Å in air.
        let window = vega.wavelength.indices.filter { abs(vega.wavelength[$0] - 6563) < 5 }
        let minimum = window.min { vega.flux[$0] < vega.flux[$1] }!
        #expect(abs(vega.wavelength[minimum] - 6562.5) < 0.5)
    }
}
