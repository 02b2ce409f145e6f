import BalmerCore

/// Rest wavelengths (vacuum, Å) and typical strengths of the lines the simulator draws.
///
/// Air wavelengths from the usual line lists are converted once with ``AirVacuum``.
enum LineList {
    static let hAlpha = AirVacuum.hAlphaVacuum
    static let hBeta = 4862.68
    static let hGamma = 4341.68
    static let hDelta = 4102.89
    static let hEpsilon = 3971.19
    static let h8 = 3890.16

    /// Higher Balmer lines with their strength relative to H-alpha absorption.
    static let balmerSeries: [(lambda: Double, scale: Double)] = [
        (hBeta, 0.95), (hGamma, 0.85), (hDelta, 0.75), (hEpsilon, 0.6), (h8, 0.5),
    ]

    /// He I lines (vacuum) seen in hot stars; 6680.0 Å (6678.15 air) lies in the H-alpha window.
    static let heliumI: [(lambda: Double, scale: Double)] = [
        (AirVacuum.vacuum(fromAir: 6678.15), 1.0), (AirVacuum.vacuum(fromAir: 5875.62), 1.3),
        (AirVacuum.vacuum(fromAir: 4471.48), 1.1),
    ]

    /// Metal lines (vacuum) with equivalent widths (Å) in a solar-type dwarf; scaled by temperature.
    static let metals: [(lambda: Double, ew: Double)] = [
        (5889.95, 0.75), (5895.92, 0.55), (5167.32, 0.9), (5172.68, 1.2), (5183.60, 1.5),
        (5269.54, 0.5), (5328.04, 0.35), (4226.73, 1.2), (6546.24, 0.12), (6592.91, 0.1),
        (6677.99, 0.13), (6717.68, 0.12), (6439.08, 0.15), (6162.17, 0.2), (6122.22, 0.2),
        (6643.63, 0.09), (6494.98, 0.15), (6400.00, 0.15), (6252.56, 0.12), (6230.72, 0.15),
        (8498.02, 1.2), (8542.09, 3.6), (8662.14, 2.8), (7664.90, 0.3), (7698.96, 0.25),
        (4383.55, 0.8), (4957.60, 0.4), (5250.21, 0.2),
    ].map { (AirVacuum.vacuum(fromAir: $0.0), $0.1) }

    /// Ca II H and K (vacuum) with EW (Å) in a solar-type dwarf.
    static let calciumHK: [(lambda: Double, ew: Double)] = [(3934.78, 8), (3969.59, 7)]

    /// Si II 6347/6371 (vacuum), strongest in late B / early A stars.
    static let siliconII: [Double] = [AirVacuum.vacuum(fromAir: 6347.11), AirVacuum.vacuum(fromAir: 6371.37)]

    /// Li I 6708 (vacuum), strong in young stars such as T Tauri stars.
    static let lithium = AirVacuum.vacuum(fromAir: 6707.8)

    /// Molecular band heads (vacuum): TiO and CaH, degrading to the red, with base depths (0…1)
    /// for a mid-M dwarf and e-folding lengths (Å) of the band.
    static let molecularBands: [(head: Double, depth: Double, length: Double)] = [
        (4954.6, 0.45, 120), (5166.7, 0.5, 130), (5448.0, 0.45, 150), (5847.0, 0.35, 130),
        (6158.0, 0.55, 160), (6382.0, 0.2, 60), (6651.3, 0.45, 90), (6715.0, 0.3, 50),
        (6750.0, 0.25, 120), (7053.9, 0.65, 220), (7589.3, 0.4, 150), (8432.0, 0.45, 200),
    ].map { (AirVacuum.vacuum(fromAir: $0.0), $0.1, $0.2) }

    /// Telluric O2 bands (vacuum; not Doppler shifted): head and length (Å).
    static let telluric: [(head: Double, length: Double)] = [
        (AirVacuum.vacuum(fromAir: 6867.2), 20), (AirVacuum.vacuum(fromAir: 7594.0), 30),
    ]

    /// Night-sky lines (vacuum) whose subtraction residuals survive: [O I], Na D, OH near H-alpha.
    static let skyLines: [Double] = [
        5577.34, 5889.95, 6300.30, 6363.78, 6553.62, 6568.78, 6577.29, 6596.64, 6604.28, 6834.0,
        6863.96, 7316.28, 7340.89,
    ].map { AirVacuum.vacuum(fromAir: $0) }
    /// Indices into ``skyLines`` of the OH lines inside the H-alpha window.
    static let skyLinesInWindow: [Int] = [4, 5, 6, 7, 8]

    /// Nebular lines (vacuum) around H-alpha: [N II] 6548, 6583 and [S II] 6716, 6731 Å.
    static let nitrogenII = (weak: 6549.86, strong: 6585.27)
    static let sulphurII = (blue: 6718.29, red: 6732.67)

    /// Galaxy emission lines (vacuum) with flux ratio to H-alpha for a star-forming galaxy.
    static let galaxyEmission: [(lambda: Double, ratio: Double)] = [
        (hAlpha, 1.0), (nitrogenII.weak, 0.1), (nitrogenII.strong, 0.32), (sulphurII.blue, 0.2), (sulphurII.red, 0.15),
        (hBeta, 0.35), (4960.30, 0.2), (5008.24, 0.6), (3727.09, 0.5), (3729.88, 0.6), (6302.05, 0.04),
        (hGamma, 0.16),
    ]

    /// QSO broad lines (vacuum) with rest-frame equivalent widths (Å).
    static let qsoBroad: [(lambda: Double, ew: Double)] = [
        (1215.67, 80), (1549.06, 30), (1908.73, 20), (2798.75, 30), (hGamma, 15), (hBeta, 50),
        (hAlpha, 200),
    ]

    /// Lines that put a galaxy feature into the H-alpha window when redshifted there.
    static let galaxyWindowLines: [Double] = [5008.24, hBeta, 3728.5, hAlpha]
    /// Lines that put a QSO feature into the window.
    static let qsoWindowLines: [Double] = [2798.75, 1908.73, 1549.06, hBeta]
}
