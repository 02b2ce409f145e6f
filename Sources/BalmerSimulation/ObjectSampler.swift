import BalmerCore
import Foundation

/// Draws the parameters of simulated objects for one survey kind and class mix.
struct ObjectSampler: Sendable {
    let kind: SurveyKind
    let mix: ClassMix

    /// Per-spectrum probability of each survey defect (LAMOST and SDSS kinds; CCD700 has none).
    enum Rates {
        static let cosmicRay = 0.04
        static let deadPixels = 0.03
        static let armJoin = 0.03
        static let skyResidual = 0.04
        static let lowSNR = 0.05
        /// Ionised gas in the fibre (stars only; LAMOST observes much of the Galactic anticentre).
        static let nebular = 0.03
        /// Chance that a cosmic ray / dead run / sky residual is placed inside 6519–6732 Å.
        static let cosmicInWindow = 0.4
        static let deadInWindow = 0.3
        static let skyInWindow = 0.6
    }

    /// Weights of the non-emitting subtypes in a survey pool.
    static let surveyOthers: [(String, Double)] = [
        ("O", 0.003), ("B", 0.03), ("A", 0.10), ("F", 0.25), ("G", 0.28), ("K", 0.21), ("M-dwarf", 0.06),
        ("galaxy", 0.025), ("qso", 0.015),
    ]
    /// Weights of the absorption-star subtypes in CCD700 data (bright, mostly hot stars).
    static let ccd700Others: [(String, Double)] = [("B", 0.35), ("A", 0.30), ("F", 0.15), ("G", 0.12), ("K", 0.08)]
    static let surveySingles: [(String, Double)] = [("Be", 0.4), ("T Tauri", 0.15), ("dMe", 0.2), ("emission-in-absorption", 0.25)]
    static let ccd700Singles: [(String, Double)] = [("Be", 0.7), ("emission-in-absorption", 0.2), ("T Tauri", 0.1)]
    static let surveyDoubles: [(String, Double)] = [("Be", 0.45), ("shell", 0.25), ("CV", 0.1), ("emission-in-absorption", 0.2)]
    static let ccd700Doubles: [(String, Double)] = [("Be", 0.55), ("shell", 0.35), ("emission-in-absorption", 0.1)]

    /// Temperature range (K) of each spectral letter.
    static let teffRange: [String: ClosedRange<Double>] = [
        "O": 30_000...42_000, "B": 10_500...29_000, "A": 7400...10_000, "F": 6000...7400, "G": 5200...6000,
        "K": 3900...5200, "M-dwarf": 2800...3900,
    ]

    /// The window the classifier looks at (observed frame, Å).
    static let window = 6519.0...6732.0

    func draw(rng: inout SeededGenerator) -> SimulatedObject {
        let u = rng.unit()
        let label: SpectrumClass = u < mix.single ? .single : (u < mix.single + mix.double ? .double : .other)
        // Defects are drawn first and independently of the class, so their rates hold in every class.
        let survey = kind.isSurvey
        let hasCosmic = survey && rng.chance(Rates.cosmicRay)
        let hasDead = survey && rng.chance(Rates.deadPixels)
        let hasJoin = survey && rng.chance(Rates.armJoin)
        let hasSky = survey && rng.chance(Rates.skyResidual)
        let lowSNR = survey && rng.chance(Rates.lowSNR)
        let hasNebula = survey && rng.chance(Rates.nebular)

        // Very low S/N is decided before the object, so emitters can be made visible at that S/N.
        let lowSNRValue: Double? = lowSNR ? rng.uniform(2, 5) : nil
        var object: SimulatedObject
        switch label {
        case .other:
            let subtype = rng.pick(survey ? Self.surveyOthers : Self.ccd700Others)
            switch subtype {
            case "galaxy": object = galaxy(rng: &rng)
            case "qso": object = qso(rng: &rng)
            default: object = normalStar(subtype, rng: &rng)
            }
            if let snr = lowSNRValue {
                object.snr = snr
                if rng.chance(0.5) { object.pipelineClass = "Unknown"; object.pipelineSubclass = "Non" }
            }
        case .single, .double:
            let subtypes = label == .single
                ? (survey ? Self.surveySingles : Self.ccd700Singles) : (survey ? Self.surveyDoubles : Self.ccd700Doubles)
            object = emitter(label: label, subtype: rng.pick(subtypes), snr: lowSNRValue, rng: &rng)
        }
        if lowSNR { object.artefacts.append(.lowSNR) }
        if hasCosmic { addCosmicRays(&object, rng: &rng) }
        if hasDead { addDeadPixels(&object, rng: &rng) }
        if hasJoin { addArmJoin(&object, rng: &rng) }
        if hasSky { addSkyResiduals(&object, rng: &rng) }
        if hasNebula && object.subtype != "galaxy" && object.subtype != "qso" { addNebula(&object, rng: &rng) }
        object.artefacts.sort { $0.rawValue < $1.rawValue }
        return object
    }

    // MARK: Common draws

    /// Most stars within ±100 km/s, a tail out to ±700 km/s.
    func radialVelocity(rng: inout SeededGenerator) -> Double {
        if rng.chance(0.88) {
            // Truncated normal (σ = 40 km/s) within ±100 km/s.
            for _ in 0..<16 {
                let v = rng.normal(0, 40)
                if abs(v) <= 100 { return v }
            }
            return rng.uniform(-100, 100)
        }
        return rng.sign() * rng.uniform(100, 700)
    }

    func starSNR(rng: inout SeededGenerator) -> Double {
        kind.isSurvey ? rng.logUniform(6, 150) : rng.logUniform(40, 300)
    }

    func fluxLevel(rng: inout SeededGenerator) -> Double {
        switch kind {
        case .lamostDR2, .lamostDR9: rng.logUniform(30, 3000)
        case .sdss: rng.logUniform(3, 300)
        case .ccd700: rng.logUniform(2000, 40_000)
        }
    }

    /// Multiplicative calibration error (log, Legendre P1…P4): LAMOST's relative flux calibration
    /// wanders most, SDSS less, CCD700 has an unnormalised blaze-like curvature.
    func calibration(rng: inout SeededGenerator) -> [Double] {
        switch kind {
        case .lamostDR2, .lamostDR9: (1...4).map { rng.normal(0, 0.08 / Double($0)) }
        case .sdss: (1...4).map { rng.normal(0, 0.03 / Double($0)) }
        case .ccd700: [rng.normal(0, 0.05), -rng.uniform(0.05, 0.25), 0, 0]
        }
    }

    func telluric(rng: inout SeededGenerator) -> [BandHead] {
        guard kind.isSurvey else { return [] }
        return [
            BandHead(head: LineList.telluric[0].head, depth: rng.uniform(0.15, 0.35), length: LineList.telluric[0].length),
            BandHead(head: LineList.telluric[1].head, depth: rng.uniform(0.3, 0.6), length: LineList.telluric[1].length),
        ]
    }

    /// A star shell with everything but lines; callers fill in `lines`, `bands`, labels.
    func baseObject(label: SpectrumClass, subtype: String, teff: Double, rng: inout SeededGenerator) -> SimulatedObject {
        SimulatedObject(
            label: label, subtype: subtype, artefacts: [], continuum: .star(teff: teff),
            extinction: kind.isSurvey ? rng.uniform(0, 1.2) : rng.uniform(0, 0.3), calibration: calibration(rng: &rng),
            fluxLevel: fluxLevel(rng: &rng), redshift: radialVelocity(rng: &rng) / speedOfLight, lines: [], bands: [],
            telluric: telluric(rng: &rng), snr: starSNR(rng: &rng), plan: ArtefactPlan(), pipelineClass: "STAR",
            pipelineSubclass: "Non")
    }

    // MARK: Absorption stars

    func normalStar(_ subtype: String, rng: inout SeededGenerator) -> SimulatedObject {
        let range = Self.teffRange[subtype] ?? 5200...6000
        // CCD700 training stars stay clean: no K stars cool enough for TiO bands.
        let lowest = kind.isSurvey ? range.lowerBound : max(range.lowerBound, 4150)
        let teff = rng.uniform(lowest, range.upperBound)
        let hot = teff >= 7400
        let giant = !hot && subtype != "M-dwarf" && rng.chance(0.3)
        let logg = subtype == "M-dwarf" ? rng.uniform(4.6, 5.2) : (giant ? rng.uniform(2.0, 3.2) : rng.uniform(3.6, 4.5))
        let vsini = hot ? rng.uniform(10, 280) : (teff > 6000 ? rng.uniform(5, 80) : rng.uniform(1, 10))
        var object = baseObject(label: .other, subtype: subtype, teff: teff, rng: &rng)
        object.lines = StellarPhysics.absorptionLines(teff: teff, logg: logg, vsini: vsini, feh: rng.normal(-0.2, 0.3), rng: &rng)
        object.bands = StellarPhysics.molecularBands(teff: teff, rng: &rng)
        if !object.bands.isEmpty { object.artefacts.append(.molecularBands) }
        object.pipelineSubclass = StellarPhysics.subclass(teff: teff, dwarf: !giant)
        return object
    }

    // MARK: Emitters

    /// An emission-line star whose emission is visible at its S/N (`snr` overrides the drawn one).
    func emitter(label: SpectrumClass, subtype: String, snr: Double?, rng: inout SeededGenerator) -> SimulatedObject {
        let teff: Double
        let vsini: Double
        var veiling = 0.0
        switch subtype {
        case "Be": teff = rng.uniform(12_000, 28_000); vsini = rng.uniform(150, 400)
        case "shell": teff = rng.uniform(9000, 20_000); vsini = rng.uniform(250, 450)
        case "CV": teff = rng.uniform(12_000, 25_000); vsini = rng.uniform(100, 300)
        case "T Tauri":
            // Clean CCD700 data: K-type T Tauri stars only (no TiO bands).
            teff = kind.isSurvey ? rng.uniform(3500, 5000) : rng.uniform(4150, 5000)
            vsini = rng.uniform(5, 40)
            veiling = rng.uniform(0, 1)
        case "dMe": teff = rng.uniform(2900, 3800); vsini = rng.uniform(1, 20)
        default: teff = rng.uniform(8000, 16_000); vsini = rng.uniform(50, 250)  // emission-in-absorption
        }
        let dwarf = subtype == "dMe" || subtype == "T Tauri"
        var object = baseObject(label: label, subtype: subtype, teff: teff, rng: &rng)
        let logg = dwarf ? rng.uniform(4.0, 5.0) : rng.uniform(3.3, 4.3)
        object.lines = StellarPhysics.absorptionLines(
            teff: teff, logg: logg, vsini: vsini, feh: rng.normal(-0.1, 0.25), veiling: veiling, rng: &rng)
        if subtype == "CV" {
            // The disc washes out most photospheric lines.
            object.lines = object.lines.map { var l = $0; l.amplitude *= 0.3; return l }
            object.pipelineClass = rng.chance(0.5) ? "Unknown" : "STAR"
        }
        object.bands = StellarPhysics.molecularBands(teff: teff, rng: &rng)
        if !object.bands.isEmpty { object.artefacts.append(.molecularBands) }
        object.pipelineSubclass = object.pipelineClass == "STAR" ? StellarPhysics.subclass(teff: teff, dwarf: true) : "Non"
        if let snr { object.snr = snr }
        if subtype == "T Tauri" {
            object.lines.append(LineComponent(lambda: LineList.lithium, width: 0.3, amplitude: rng.uniform(0.3, 0.6) / 0.75, layer: .absorption))
            if rng.chance(0.4) {
                object.lines.append(LineComponent(lambda: 6302.05, width: 0.8, amplitude: rng.uniform(0.2, 1.5), layer: .emission))
            }
        }
        let base = object.lines
        object.lines = base + visibleEmission(label: label, subtype: subtype, base: base, snr: object.snr, rng: &rng)
        return object
    }

    /// The H-alpha (and companion) emission of an emitter. `scale` multiplies heights, `spread`
    /// separations, so ``visibleEmission(label:subtype:base:snr:rng:)`` can strengthen a profile that came out too weak.
    func emissionLines(label: SpectrumClass, subtype: String, scale: Double, spread: Double, rng: inout SeededGenerator) -> [LineComponent] {
        let h = LineList.hAlpha
        var lines: [LineComponent] = []
        func emission(_ lambda: Double, _ sigma: Double, _ height: Double) {
            lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: height * scale, layer: .emission))
        }
        switch (label, subtype) {
        case (.single, "Be"):
            let sigma = rng.uniform(1.5, 5)
            let height = rng.logUniform(0.5, 5)
            emission(h, sigma, height)
            if rng.chance(0.3) { emission(h, 2.5 * sigma, 0.2 * height) }
            emission(LineList.hBeta, sigma * 0.74, 0.3 * height)
            if rng.chance(0.2) { emission(LineList.heliumI[0].lambda, 1.5, 0.1 * height) }
        case (.single, "T Tauri"):
            let sigma = rng.uniform(2, 6)
            let ew = rng.logUniform(10, 150)
            emission(h, sigma, ew / (sigma * 2.5066))
            emission(h, 3 * sigma, 0.1 * ew / (sigma * 2.5066))
            emission(LineList.hBeta, sigma * 0.74, 0.4 * ew / (sigma * 2.5066))
            emission(LineList.heliumI[1].lambda, 1.5, 0.3)
        case (.single, "dMe"):
            let sigma = rng.uniform(0.3, 0.8)
            emission(h, sigma, rng.logUniform(1, 12) / (sigma * 2.5066))
            emission(LineList.hBeta, sigma, rng.logUniform(1, 8) / (sigma * 2.5066))
        case (.single, _):  // emission filling in a broad absorption
            emission(h, rng.uniform(1.2, 3.5), rng.uniform(0.4, 1.2))
        case (.double, "CV"):
            let separation = rng.uniform(12, 26) * spread
            let sigma = rng.uniform(2.5, 5)
            let height = rng.logUniform(0.5, 3)
            let ratio = rng.uniform(0.7, 1.4)
            emission(h - separation / 2, sigma, height)
            emission(h + separation / 2, sigma, height * ratio)
            for (lambda, f) in [(LineList.hBeta, 0.5), (LineList.heliumI[0].lambda, 0.2), (LineList.heliumI[1].lambda, 0.25)] {
                let s = lambda / h
                emission(lambda - s * separation / 2, sigma * s, f * height)
                emission(lambda + s * separation / 2, sigma * s, f * height * ratio)
            }
        case (.double, "shell"):
            let sigma = rng.uniform(3, 6.5)
            emission(h, sigma, rng.uniform(0.6, 2.5))
            let shellSigma = rng.uniform(0.5, 1.3) / spread
            lines.append(LineComponent(lambda: h, width: shellSigma, amplitude: rng.uniform(0.6, 0.95), layer: .shell))
            lines.append(LineComponent(lambda: LineList.hBeta, width: shellSigma, amplitude: rng.uniform(0.5, 0.9), layer: .shell))
        default:  // double-peak Be, also inside a broad absorption
            let separation = rng.uniform(6.5, 16) * spread
            let room = max(0.16, (separation / 2.8) * (separation / 2.8) - checkSigmaSquared)
            let sigma = max(0.4, rng.uniform(0.35, 1.0) * room.squareRoot())
            let height = subtype == "Be" ? rng.logUniform(0.3, 3) : rng.uniform(0.25, 0.8)
            let ratio = rng.uniform(0.6, 1.5)
            emission(h - separation / 2, sigma, height)
            emission(h + separation / 2, sigma, height * ratio)
            emission(LineList.hBeta - 0.74 * separation / 2, 0.74 * sigma, 0.3 * height)
            emission(LineList.hBeta + 0.74 * separation / 2, 0.74 * sigma, 0.3 * height * ratio)
        }
        return lines
    }

    private var checkSigmaSquared: Double { EmissionProfile.checkSigma * EmissionProfile.checkSigma }

    /// Draws the emission, then redraws it stronger and wider apart while it is not visible at
    /// LAMOST-like resolution over the `base` lines: at least `max(0.12, 4/(S/N))` above the
    /// continuum, and for doubles with two peaks (up to 16 redraws).
    func visibleEmission(
        label: SpectrumClass, subtype: String, base: [LineComponent], snr: Double, rng: inout SeededGenerator
    ) -> [LineComponent] {
        let minHeight = max(0.12, 4 / snr)
        var emission = emissionLines(label: label, subtype: subtype, scale: 1, spread: 1, rng: &rng)
        for attempt in 1...16 {
            let profile = EmissionProfile.relativeProfile(base + emission)
            let visible = label == .double
                ? EmissionProfile.isDoublePeakVisible(profile, minHeight: minHeight)
                : EmissionProfile.isSinglePeakVisible(profile, minHeight: minHeight)
            if visible { break }
            let scale = pow(1.35, Double(attempt))
            let spread = min(1.8, 1 + 0.06 * Double(attempt))
            emission = emissionLines(label: label, subtype: subtype, scale: scale, spread: spread, rng: &rng)
        }
        return emission
    }
}
