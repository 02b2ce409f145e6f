import Foundation
import Testing
@testable import BalmerCore

/// A LAMOST-like log-linear vacuum spectrum with a Gaussian line at `center` (negative depth = emission).
func lamostLike(center: Double = 6564.61, depth: Double = 0.5, width: Double = 3, count: Int = 3909) -> Spectrum {
    let wave = (0..<count).map { pow(10, 3.5682 + 1e-4 * Double($0)) }
    let flux = wave.map { 100 * (1 - depth * exp(-0.5 * pow(($0 - center) / width, 2))) + 0.001 * $0 }
    return Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: wave, flux: flux,
                    inverseVariance: Array(repeating: 1, count: count))
}

@Suite struct PreprocessorTests {
    @Test func gridIsNumpyLinspace() {
        let grid = PreprocessingConfig().grid
        #expect(grid.count == 140)
        #expect(grid.first == 6519)
        #expect(grid.last == 6732)
        #expect(abs(grid[1] - grid[0] - 213.0 / 139.0) < 1e-12)
    }

    @Test func linearFluxInterpolatesExactlyAndScales() throws {
        let wave = stride(from: 6400.0, through: 6800.0, by: 0.7).map { $0 }
        let spectrum = Spectrum(layout: .ondrejovIRAF, frame: .vacuum, wavelength: wave, flux: wave.map { 2 * $0 + 5 })
        let features = try Preprocessor(config: PreprocessingConfig(scale: false)).features(of: spectrum).get()
        for (value, lambda) in zip(features, PreprocessingConfig().grid) {
            #expect(abs(Double(value) - (2 * lambda + 5)) < 1e-2)
        }
        let scaled = try Preprocessor().features(of: spectrum).get()
        #expect(scaled.first == -1)
        #expect(scaled.last == 1)
    }

    @Test func absorptionLineLandsAtItsWavelength() throws {
        let features = try Preprocessor().features(of: lamostLike()).get()
        let grid = PreprocessingConfig().grid
        let minimum = features.indices.min { features[$0] < features[$1] }!
        #expect(abs(grid[minimum] - 6564.61) < 1.6)
    }

    @Test func airSpectraAreShiftedToVacuum() throws {
        // A line at the air wavelength of H-alpha must end up at the vacuum one.
        let wave = stride(from: 6250.0, through: 6770.0, by: 0.2567).map { $0 }
        let flux = wave.map { 1000 - 500 * exp(-0.5 * pow(($0 - 6562.80) / 1.0, 2)) }
        let air = Spectrum(layout: .ondrejovIRAF, frame: .air, wavelength: wave, flux: flux)
        let config = PreprocessingConfig(points: 2131)  // 0.1 Å steps
        let features = try Preprocessor(config: config).features(of: air).get()
        let minimum = features.indices.min { features[$0] < features[$1] }!
        #expect(abs(config.grid[minimum] - 6564.61) < 0.15)
        let unshifted = try Preprocessor(config: PreprocessingConfig(points: 2131, convertAirToVacuum: false))
            .features(of: air).get()
        let unshiftedMinimum = unshifted.indices.min { unshifted[$0] < unshifted[$1] }!
        #expect(abs(config.grid[unshiftedMinimum] - 6562.80) < 0.15)
    }

    @Test func rejectsPartialCoverage() {
        var spectrum = lamostLike()
        let cut = Preprocessor.lastIndex(in: spectrum.wavelength, notAbove: 6700)
        spectrum.wavelength = Array(spectrum.wavelength[..<cut])
        spectrum.flux = Array(spectrum.flux[..<cut])
        spectrum.inverseVariance = Array(spectrum.inverseVariance![..<cut])
        guard case .failure(let reject) = Preprocessor().features(of: spectrum) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reject.kind == .noCoverage)
    }

    @Test func rejectsFlatFlux() {
        var spectrum = lamostLike()
        spectrum.flux = Array(repeating: 0, count: spectrum.flux.count)
        guard case .failure(let reject) = Preprocessor().features(of: spectrum) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reject.kind == .flatFlux)
    }

    /// Flux varying by less than the smallest Float steps (found by the FITS fuzzer) is flat.
    @Test func rejectsFluxTooFlatToScale() {
        var spectrum = lamostLike()
        spectrum.flux = spectrum.flux.indices.map { Double($0 % 3) * 1e-45 }
        guard case .failure(let reject) = Preprocessor().features(of: spectrum) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reject.kind == .flatFlux)
    }

    @Test func rejectsNaNAndTooManyBadPixels() {
        var nan = lamostLike()
        let start = Preprocessor.lastIndex(in: nan.wavelength, notAbove: 6530)
        for i in start..<start + 60 { nan.flux[i] = .nan }
        guard case .failure(let nanReject) = Preprocessor().features(of: nan) else {
            Issue.record("expected a reject")
            return
        }
        #expect(nanReject.kind == .nonFinite)

        var dead = lamostLike()
        for i in start..<start + 60 { dead.inverseVariance![i] = 0 }
        guard case .failure(let deadReject) = Preprocessor().features(of: dead) else {
            Issue.record("expected a reject")
            return
        }
        #expect(deadReject.kind == .tooManyBadPixels)
    }

    @Test func fewBadPixelsAreInterpolatedOver() throws {
        let clean = try Preprocessor().features(of: lamostLike(depth: 0)).get()
        var spiky = lamostLike(depth: 0)
        let index = Preprocessor.lastIndex(in: spiky.wavelength, notAbove: 6600)
        spiky.flux[index] = 1e6  // a cosmic ray on a dead pixel
        spiky.inverseVariance![index] = 0
        let repaired = try Preprocessor().features(of: spiky).get()
        for (a, b) in zip(clean, repaired) { #expect(abs(a - b) < 1e-3) }
    }

    @Test func blurKeepsConstantsAndSpreadsADelta() {
        let constant = [Double](repeating: 3, count: 50)
        #expect(Preprocessor.blurred(constant, sigma: 2, from: 0, to: 49).allSatisfy { abs($0 - 3) < 1e-12 })
        var delta = [Double](repeating: 0, count: 101)
        delta[50] = 1
        let spread = Preprocessor.blurred(delta, sigma: 7, from: 0, to: 100)
        #expect(abs(spread.reduce(0, +) - 1) < 1e-9)
        let variance = spread.enumerated().reduce(0.0) { $0 + $1.element * pow(Double($1.offset - 50), 2) }
        #expect(abs(variance.squareRoot() - 7) < 0.1)
        #expect(spread[50 - 29] == 0 && spread[50 - 28] > 0)  // truncated at 4σ: radius Int(28.5) = 28
    }

    @Test func blurClampsEdges() {
        let ramp = (0..<20).map(Double.init)
        let blurred = Preprocessor.blurred(ramp, sigma: 1, from: 0, to: 19)
        // With clamped edges the left end sees extra zeros: it is pulled up, not towards negatives.
        #expect(blurred[0] > 0 && blurred[0] < 1)
        #expect(abs(blurred[10] - 10) < 1e-9)
    }

    @Test func interpolationMatchesNumpyAtEnds() {
        let out = Preprocessor.interpolate([0, 1.5, 5], xp: [1, 2, 3], fp: [10, 20, 30])
        #expect(out == [10, 15, 30])
    }
}

@Suite struct SexagesimalTests {
    @Test func parsesHoursAndDegrees() throws {
        #expect(abs(try #require(Sexagesimal.rightAscension("10:10:07.54")) - 152.53142) < 1e-4)
        #expect(abs(try #require(Sexagesimal.declination("-08:24:29.4")) - -8.40817) < 1e-4)
        #expect(Sexagesimal.declination("+61 17 39.7").map { abs($0 - 61.29436) < 1e-4 } == true)
        #expect(Sexagesimal.rightAscension("152.5") == 152.5)
        #expect(Sexagesimal.rightAscension("25:00:00") == nil)
        #expect(Sexagesimal.declination("-95:00:00") == nil)
        #expect(Sexagesimal.rightAscension("abc") == nil)
    }
}

@Suite struct SpectrumClassTests {
    @Test func parsesBothVocabularies() {
        #expect(SpectrumClass(label: "emission") == .single)
        #expect(SpectrumClass(label: "Double-Peak") == .double)
        #expect(SpectrumClass(label: "absorption") == .other)
        #expect(SpectrumClass(label: "other") == .other)
        #expect(SpectrumClass(label: "star") == nil)
        #expect(SpectrumClass.allCases.map(\.isTarget) == [true, true, false])
    }
}
