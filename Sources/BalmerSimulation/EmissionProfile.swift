import Foundation

/// Checks an object's H-alpha region the way a person would at LAMOST-like resolution, so that
/// every emitter the simulator labels is visibly one (and every double visibly has two peaks).
enum EmissionProfile {
    /// Instrumental σ (Å) of the check: the CCD700 blur of 7 px (1.8 Å) and LAMOST's 1.55 Å, rounded up.
    static let checkSigma = 1.85
    /// Offsets from the line centre (Å) at which the profile is checked.
    static let offsets: [Double] = stride(from: -40.0, through: 40.0, by: 0.25).map { $0 }

    /// Relative flux (continuum = 1) around H-alpha in the star's rest frame from the lines
    /// within 60 Å of H-alpha, at ``checkSigma``.
    static func relativeProfile(_ lines: [LineComponent]) -> [Double] {
        let centre = LineList.hAlpha
        var absorb = [Double](repeating: 0, count: offsets.count)
        var emit = absorb
        var shell = absorb
        for line in lines where abs(line.lambda - centre) < 60 && line.shifted {
            let obs = line.observed(redshift: 0, instrumentalSigma: checkSigma, toFrame: { $0 })
            for (k, dx) in offsets.enumerated() {
                let v = obs.value(at: centre + dx)
                switch line.layer {
                case .absorption: absorb[k] += v
                case .emission: emit[k] += v
                case .shell: shell[k] += v
                }
            }
        }
        return offsets.indices.map {
            (max(SpectrumRenderer.floor, 1 - absorb[$0]) + emit[$0]) * max(SpectrumRenderer.floor, 1 - shell[$0])
        }
    }

    /// Whether the profile rises at least `minHeight` above the continuum within ±15 Å of H-alpha.
    static func isSinglePeakVisible(_ profile: [Double], minHeight: Double) -> Bool {
        var best = -Double.infinity
        for (k, dx) in offsets.enumerated() where abs(dx) <= 15 { best = max(best, profile[k]) }
        return best - 1 >= minHeight
    }

    /// Whether the profile shows two peaks within ±25 Å, the higher at least `minHeight` above the
    /// continuum, the lower at least half that, with a dip between them of at least
    /// max(0.03, 20 % of the lower peak's height).
    static func isDoublePeakVisible(_ profile: [Double], minHeight: Double) -> Bool {
        var peaks: [Int] = []
        for k in 1..<(profile.count - 1) where abs(offsets[k]) <= 25 {
            if profile[k] > profile[k - 1] && profile[k] >= profile[k + 1] && profile[k] - 1 >= 0.5 * minHeight {
                peaks.append(k)
            }
        }
        guard peaks.count >= 2 else { return false }
        let sorted = peaks.sorted { profile[$0] > profile[$1] }
        let a = min(sorted[0], sorted[1])
        let b = max(sorted[0], sorted[1])
        let higher = max(profile[a], profile[b])
        let lower = min(profile[a], profile[b])
        guard higher - 1 >= minHeight else { return false }
        let dip = profile[a...b].min() ?? lower
        return lower - dip >= max(0.03, 0.2 * (lower - 1))
    }
}
