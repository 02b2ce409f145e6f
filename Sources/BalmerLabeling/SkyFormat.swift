import Foundation

/// Sexagesimal text for sky coordinates (the inverse of `BalmerCore.Sexagesimal`'s parsers).
public enum SkyFormat {
    /// Right ascension in degrees [0, 360) as `hh:mm:ss.ss`.
    public static func rightAscension(_ degrees: Double) -> String {
        var hundredths = Int((degrees.truncatingRemainder(dividingBy: 360) / 15 * 360_000).rounded())
        if hundredths < 0 { hundredths += 24 * 360_000 }
        hundredths %= 24 * 360_000
        let hours = hundredths / 360_000, minutes = hundredths / 6000 % 60, seconds = Double(hundredths % 6000) / 100
        return String(format: "%02d:%02d:%05.2f", hours, minutes, seconds)
    }

    /// Declination in degrees [-90, 90] as `±dd:mm:ss.s`.
    public static func declination(_ degrees: Double) -> String {
        let tenths = Int((abs(degrees) * 36_000).rounded())
        let sign = degrees < 0 && tenths > 0 ? "-" : "+"
        return sign + String(format: "%02d:%02d:%04.1f", tenths / 36_000, tenths / 600 % 60, Double(tenths % 600) / 10)
    }
}
