/// Conversions between standard-air and vacuum wavelengths in Å (valid above 2000 Å).
///
/// Air → vacuum uses N. Piskunov's inverse formula (as VALD and the Ondřejov dataset do), so
/// training data is reproduced exactly; vacuum → air uses Morton (2000). Round trip ≈ 2e-9 Å.
public enum AirVacuum {
    /// Vacuum wavelength (Å) of an air wavelength (Å).
    @inlinable
    public static func vacuum(fromAir lambda: Double) -> Double {
        let s = 1e4 / lambda
        let s2 = s * s
        let n = 1 + 0.00008336624212083 + 0.02408926869968 / (130.1065924522 - s2)
            + 0.0001599740894897 / (38.92568793293 - s2)
        return lambda * n
    }

    /// Air wavelength (Å) of a vacuum wavelength (Å).
    @inlinable
    public static func air(fromVacuum lambda: Double) -> Double {
        let s = 1e4 / lambda
        let s2 = s * s
        let n = 1 + 0.0000834254 + 0.02406147 / (130 - s2) + 0.00015998 / (38.9 - s2)
        return lambda / n
    }

    /// H-alpha rest wavelength in vacuum, Å.
    public static let hAlphaVacuum = 6564.61
}
