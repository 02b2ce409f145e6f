import BalmerCore

/// Generates a synthetic survey, one spectrum at a time, deterministically per `(seed, index)`.
///
/// Each spectrum draws from its own seeded generators (SplitMix64 streams keyed by seed and index),
/// so spectra can be produced in any order, in parallel, and reproduced alone. LAMOST and SDSS kinds
/// carry survey defects and confounders (see ``Artefact``); CCD700 spectra are clean stars.
///
/// ```swift
/// let sim = SurveySimulator(kind: .lamostDR9, seed: 42, mix: .survey)
/// let s = sim.spectrum(at: 7)   // s.spectrum.flux, s.truth.label …
/// ```
public struct SurveySimulator: Sendable {
    public let kind: SurveyKind
    public let seed: UInt64
    public let mix: ClassMix

    public init(kind: SurveyKind, seed: UInt64, mix: ClassMix) {
        self.kind = kind
        self.seed = seed
        self.mix = mix
    }

    /// A simulator with the kind's default mix (``SurveyKind/defaultMix``).
    public init(kind: SurveyKind, seed: UInt64) {
        self.init(kind: kind, seed: seed, mix: kind.defaultMix)
    }

    /// Spectrum number `index` (≥ 0): pixels, metadata and truth.
    public func spectrum(at index: Int) -> SimulatedSpectrum {
        let object = object(at: index)
        var rng = SeededGenerator(seed: seed, stream: 1, index: UInt64(index))
        let grid = SimulationGrid.make(kind: kind, rng: &rng)
        let output = SpectrumRenderer(kind: kind).render(object, on: grid, noise: true, rng: &rng)
        let metadata = SurveyNaming(kind: kind, seed: seed).metadata(index: index, object: object)
        let spectrum = Spectrum(
            layout: kind.layout, frame: grid.frame, wavelength: grid.wavelength, flux: output.flux,
            inverseVariance: output.inverseVariance, metadata: metadata)
        return SimulatedSpectrum(spectrum: spectrum, truth: truth(of: object, metadata: metadata))
    }

    /// The truth of spectrum `index` without computing its pixels (cheap; equal to
    /// `spectrum(at: index).truth`).
    public func truth(at index: Int) -> TruthRecord {
        let object = object(at: index)
        return truth(of: object, metadata: SurveyNaming(kind: kind, seed: seed).metadata(index: index, object: object))
    }

    /// The drawn parameters of spectrum `index`.
    func object(at index: Int) -> SimulatedObject {
        precondition(index >= 0, "spectrum index must be non-negative")
        var rng = SeededGenerator(seed: seed, stream: 0, index: UInt64(index))
        return ObjectSampler(kind: kind, mix: mix).draw(rng: &rng)
    }

    /// The noiseless model of spectrum `index` on its grid (for tests and figures).
    func noiselessFlux(at index: Int) -> (wavelength: [Double], flux: [Double], object: SimulatedObject) {
        let object = object(at: index)
        var rng = SeededGenerator(seed: seed, stream: 1, index: UInt64(index))
        let grid = SimulationGrid.make(kind: kind, rng: &rng)
        let output = SpectrumRenderer(kind: kind).render(object, on: grid, noise: false, rng: &rng)
        return (grid.wavelength, output.flux, object)
    }

    private func truth(of object: SimulatedObject, metadata: SpectrumMetadata) -> TruthRecord {
        TruthRecord(
            file: metadata.fileName ?? "", label: object.label, subtype: object.subtype, snr: object.snr,
            radialVelocity: object.radialVelocity, artefacts: object.artefacts.map(\.rawValue))
    }
}
