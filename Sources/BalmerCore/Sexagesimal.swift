import Foundation

/// Parsing of sky coordinates written as numbers or sexagesimal strings.
public enum Sexagesimal {
    /// Right ascension in degrees from `hh:mm:ss.s`, `hh mm ss.s` (hours) or a plain number of degrees.
    public static func rightAscension(_ text: String) -> Double? {
        guard let parts = components(text) else { return nil }
        if parts.count == 1 {
            guard let degrees = parts.first, (0..<360).contains(degrees) else { return nil }
            return degrees
        }
        guard let hours = value(parts), (0..<24).contains(hours) else { return nil }
        return hours * 15
    }

    /// Declination in degrees from `±dd:mm:ss.s`, `±dd mm ss.s` or a plain number of degrees.
    public static func declination(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let negative = trimmed.hasPrefix("-")
        let unsigned = trimmed.drop { $0 == "-" || $0 == "+" }
        guard let parts = components(String(unsigned)), let magnitude = value(parts) else { return nil }
        let degrees = negative ? -magnitude : magnitude
        return (-90...90).contains(degrees) ? degrees : nil
    }

    private static func components(_ text: String) -> [Double]? {
        let pieces = text.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
        guard (1...3).contains(pieces.count) else { return nil }
        let numbers = pieces.compactMap { Double($0) }
        guard numbers.count == pieces.count, numbers.allSatisfy(\.isFinite) else { return nil }
        return numbers
    }

    private static func value(_ parts: [Double]) -> Double? {
        guard parts.dropFirst().allSatisfy({ (0..<60).contains($0) }) else { return nil }
        return parts.enumerated().reduce(0) { $0 + abs($1.element) / pow(60, Double($1.offset)) }
    }
}
