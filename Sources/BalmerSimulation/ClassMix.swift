import Foundation

/// Fractions of the three classes in a simulated set. Always normalised to sum to 1.
public struct ClassMix: Sendable, Equatable, CustomStringConvertible {
    /// Fraction of single-peak emitters, 0…1.
    public var single: Double
    /// Fraction of double-peak emitters, 0…1.
    public var double: Double
    /// Fraction of everything else (absorption stars, artefacts, galaxies, QSOs), 0…1.
    public var other: Double

    /// A mix from non-negative weights; they are normalised to sum to 1.
    /// - Precondition: all weights finite and ≥ 0, at least one > 0.
    public init(single: Double, double: Double, other: Double) {
        let total = single + double + other
        precondition(
            single >= 0 && double >= 0 && other >= 0 && total > 0 && total.isFinite,
            "class mix weights must be finite, non-negative and not all zero")
        self.single = single / total
        self.double = double / total
        self.other = other / total
    }

    /// A LAMOST-like pool: ≈ 1 % emitters (0.7 % single, 0.3 % double).
    public static let survey = ClassMix(single: 0.007, double: 0.003, other: 0.99)

    /// Like the published Ondřejov dataset: 41 % single, 12 % double, 47 % absorption.
    public static let ondrejov = ClassMix(single: 0.41, double: 0.12, other: 0.47)

    /// Parses `single=0.41,double=0.12,other=0.47` (any order, spaces allowed, missing keys are 0;
    /// `emission`, `double-peak` and `absorption` are accepted as key aliases). Weights are normalised.
    public init(parsing text: String) throws(ClassMixError) {
        var values: [SpectrumClassKey: Double] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", omittingEmptySubsequences: false)
            guard pieces.count == 2 else { throw ClassMixError(text: text, reason: "expected key=value, got '\(part)'") }
            let key = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
            let valueText = pieces[1].trimmingCharacters(in: .whitespaces)
            guard let classKey = SpectrumClassKey(key) else {
                throw ClassMixError(text: text, reason: "unknown class '\(key)' (use single, double, other)")
            }
            guard let value = Double(valueText), value.isFinite, value >= 0 else {
                throw ClassMixError(text: text, reason: "'\(valueText)' is not a non-negative number")
            }
            guard values[classKey] == nil else { throw ClassMixError(text: text, reason: "'\(key)' given twice") }
            values[classKey] = value
        }
        let single = values[.single] ?? 0
        let double = values[.double] ?? 0
        let other = values[.other] ?? 0
        guard single + double + other > 0 else { throw ClassMixError(text: text, reason: "weights sum to zero") }
        self.init(single: single, double: double, other: other)
    }

    /// `single=…,double=…,other=…`, parseable by ``init(parsing:)``.
    public var description: String { "single=\(single),double=\(double),other=\(other)" }

    private enum SpectrumClassKey {
        case single, double, other
        init?(_ key: String) {
            switch key {
            case "single", "emission": self = .single
            case "double", "double-peak": self = .double
            case "other", "absorption": self = .other
            default: return nil
            }
        }
    }
}

/// A class mix string that could not be parsed.
public struct ClassMixError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text given.
    public var text: String
    /// Why it was refused.
    public var reason: String
    public var description: String { "invalid class mix '\(text)': \(reason)" }
}
