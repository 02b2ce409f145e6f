import BalmerCore
import Foundation

/// Speed of light, km/s.
let speedOfLight = 299_792.458

/// One spectral line in the object's rest frame (vacuum wavelengths, Å).
struct LineComponent: Sendable {
    enum Shape: Sendable { case gaussian, lorentzian }
    /// Which part of the model the line belongs to:
    /// photospheric absorption (clamped at zero flux), emission added on top, or a shell/interstellar
    /// absorption that multiplies everything (photosphere and emission).
    enum Layer: Sendable { case absorption, emission, shell }

    /// Rest wavelength, vacuum Å.
    var lambda: Double
    /// Intrinsic Gaussian σ or Lorentzian half width γ in Å (rest frame), before the instrument.
    var width: Double
    /// Peak height relative to the continuum (> 0) before instrumental broadening.
    var amplitude: Double
    var shape: Shape = .gaussian
    var layer: Layer
    /// `false` for lines fixed in the observer's frame (telluric, sky).
    var shifted: Bool = true

    /// Equivalent width (Å) of the intrinsic profile.
    var equivalentWidth: Double {
        shape == .gaussian ? amplitude * width * (2 * Double.pi).squareRoot() : amplitude * width * Double.pi
    }

    /// The profile after shifting by `redshift` and convolving with a Gaussian instrument of σ
    /// `instrumentalSigma` (Å; analytic for Gaussians, width-added approximation for Lorentzians,
    /// both preserving the equivalent width). `toFrame` maps a vacuum wavelength to the grid frame.
    @inline(__always)
    func observed(redshift: Double, instrumentalSigma: Double, toFrame: (Double) -> Double) -> ObservedLine {
        let factor = shifted ? 1 + redshift : 1
        let centre = toFrame(lambda * factor)
        let w = width * factor
        switch shape {
        case .gaussian:
            let sigma = (w * w + instrumentalSigma * instrumentalSigma).squareRoot()
            return ObservedLine(centre: centre, width: sigma, amplitude: amplitude * w / sigma, shape: .gaussian)
        case .lorentzian:
            let gamma = w + 1.1775 * instrumentalSigma
            return ObservedLine(centre: centre, width: gamma, amplitude: amplitude * w / gamma, shape: .lorentzian)
        }
    }
}

/// A line as it lands on a grid: centre in the grid's frame (Å), σ or γ (Å), relative peak height.
struct ObservedLine {
    var centre: Double
    var width: Double
    var amplitude: Double
    var shape: LineComponent.Shape

    /// Half extent (Å) beyond which the profile is treated as zero.
    var reach: Double { shape == .gaussian ? 5 * width : 40 * width }

    @inline(__always)
    func value(at lambda: Double) -> Double {
        let x = (lambda - centre) / width
        return shape == .gaussian ? amplitude * exp(-0.5 * x * x) : amplitude / (1 + x * x)
    }
}

/// A molecular band: sharp head (rest vacuum Å), degrading to the red.
struct BandHead: Sendable {
    var head: Double
    /// Fractional depth at the head, 0…1.
    var depth: Double
    /// e-folding length of the band to the red, Å.
    var length: Double
}

/// The shape of the continuum before calibration.
enum ContinuumModel: Sendable {
    /// Blackbody-like slope of effective temperature `teff` (K).
    case star(teff: Double)
    /// Old plus young stellar population with a 4000 Å break; `youngFraction` 0…1.
    case galaxy(youngFraction: Double)
    /// Power law f_λ ∝ λ^(−slope).
    case qso(slope: Double)
}

/// Survey defects placed on one spectrum. Heights are in units of the continuum at 6564 Å.
struct ArtefactPlan: Sendable {
    /// Cosmic-ray hits: observed-frame wavelength (Å), width in pixels (1–3), height.
    var cosmicRays: [(lambda: Double, pixels: Int, height: Double)] = []
    /// Dead-pixel runs: observed-frame start wavelength (Å) and length in pixels; flux 0 and ivar 0.
    var deadRuns: [(lambda: Double, pixels: Int)] = []
    /// Arm join: observed wavelength of the step (Å) and the factor applied redwards of it.
    var armJoin: (lambda: Double, factor: Double)? = nil
    /// Sky-line residuals: observed vacuum wavelength (Å) and signed height.
    var skyLines: [(lambda: Double, height: Double)] = []
    /// Nebular lines in the fibre: observed vacuum wavelength (Å, at the gas's velocity) and height.
    var nebularLines: [(lambda: Double, height: Double)] = []
}

/// Every parameter of one simulated object, drawn before any pixel is computed.
struct SimulatedObject: Sendable {
    var label: SpectrumClass
    var subtype: String
    var artefacts: [Artefact]
    var continuum: ContinuumModel
    /// Reddening strength: continuum × exp(−τ (6564/λ − 1)).
    var extinction: Double
    /// Legendre coefficients (P1…P4 over the grid) of the multiplicative calibration error (log).
    var calibration: [Double]
    /// Continuum level at 6564 Å in the survey's flux units.
    var fluxLevel: Double
    /// Doppler factor − 1: v/c for stars, z for galaxies and QSOs.
    var redshift: Double
    var lines: [LineComponent]
    var bands: [BandHead]
    /// Telluric O2 bands: head (vacuum Å), depth, length (Å); not shifted.
    var telluric: [BandHead]
    /// Signal-to-noise ratio per pixel of the continuum at 6564 Å.
    var snr: Double
    var plan: ArtefactPlan
    /// What the survey pipeline would call it (`STAR`, `GALAXY`, `QSO`, `Unknown`) and its subclass.
    var pipelineClass: String
    var pipelineSubclass: String

    /// Radial velocity (km/s) recorded in the truth: c·z.
    var radialVelocity: Double { redshift * speedOfLight }
}
