import BalmerCore
import Foundation

/// Survey defects: cosmic rays, dead pixels, arm joins and sky residuals.
extension ObjectSampler {
    /// Wavelength span (observed, Å) over which defects are placed.
    private var defectSpan: ClosedRange<Double> { kind == .sdss ? 3650...10_000 : 3750...9000 }

    private func somewhere(inWindow: Bool, rng: inout SeededGenerator) -> Double {
        inWindow
            ? rng.uniform(Self.window.lowerBound, Self.window.upperBound)
            : rng.uniform(defectSpan.lowerBound, defectSpan.upperBound)
    }

    func addCosmicRays(_ object: inout SimulatedObject, rng: inout SeededGenerator) {
        let count = rng.int(1...3)
        for k in 0..<count {
            let lambda = somewhere(inWindow: k == 0 && rng.chance(Rates.cosmicInWindow), rng: &rng)
            object.plan.cosmicRays.append((lambda, rng.int(1...3), rng.logUniform(3, 30)))
        }
        object.artefacts.append(.cosmicRay)
    }

    func addDeadPixels(_ object: inout SimulatedObject, rng: inout SeededGenerator) {
        let count = rng.int(1...2)
        for k in 0..<count {
            let lambda = somewhere(inWindow: k == 0 && rng.chance(Rates.deadInWindow), rng: &rng)
            object.plan.deadRuns.append((lambda, rng.int(2...40)))
        }
        object.artefacts.append(.deadPixels)
    }

    func addArmJoin(_ object: inout SimulatedObject, rng: inout SeededGenerator) {
        let lambda = kind == .sdss ? rng.uniform(5900, 6100) : rng.uniform(5700, 5900)
        object.plan.armJoin = (lambda, 1 + rng.sign() * rng.uniform(0.15, 0.6))
        object.artefacts.append(.armJoin)
    }

    func addSkyResiduals(_ object: inout SimulatedObject, rng: inout SeededGenerator) {
        var chosen: Set<Int> = []
        if rng.chance(Rates.skyInWindow) { chosen.insert(LineList.skyLinesInWindow[rng.int(0...(LineList.skyLinesInWindow.count - 1))]) }
        let extra = rng.int(1...4)
        for _ in 0..<extra { chosen.insert(rng.int(0...(LineList.skyLines.count - 1))) }
        for index in chosen.sorted() {
            let height = rng.chance(0.7) ? rng.uniform(0.1, 1.0) : -rng.uniform(0.1, 0.5)
            object.plan.skyLines.append((LineList.skyLines[index], height))
        }
        object.artefacts.append(.skyResidual)
    }

    /// Ionised gas along the line of sight: narrow H-alpha, [N II] and [S II] at the gas's
    /// velocity (Galactic rotation, a few tens of km/s), brighter relative to faint stars.
    func addNebula(_ object: inout SimulatedObject, rng: inout SeededGenerator) {
        let shift = 1 + rng.normal(0, 25) / speedOfLight
        let hAlpha = rng.logUniform(0.15, 2.0)
        // [N II]/H-alpha: ≈ 0.3 in H II regions, up to ≈ 0.7 in diffuse gas; 6548 is a third of 6583.
        let nitrogen = rng.uniform(0.15, 0.7) * hAlpha
        let sulphur = rng.uniform(0.1, 0.4) * hAlpha
        object.plan.nebularLines = [
            (LineList.hAlpha * shift, hAlpha), (LineList.nitrogenII.weak * shift, nitrogen / 3),
            (LineList.nitrogenII.strong * shift, nitrogen), (LineList.sulphurII.blue * shift, sulphur),
            (LineList.sulphurII.red * shift, sulphur * rng.uniform(0.7, 1.0)),
        ]
        object.artefacts.append(.nebular)
    }
}
