import Foundation

/// The classes the classifier separates. Targets of the search are ``single`` and ``double``.
public enum SpectrumClass: String, Sendable, Codable, CaseIterable, Hashable {
    /// Single-peak H-alpha emission.
    case single
    /// Double-peak H-alpha emission.
    case double
    /// Absorption, noise, artefacts: everything that is not an emission-line star.
    case other

    /// Whether the class is a target of the search (an emission-line star).
    public var isTarget: Bool { self != .other }

    /// The class index used by the CNN's softmax output (order of `allCases`).
    public var index: Int { Self.allCases.firstIndex(of: self)! }

    /// The label the published Ondřejov dataset uses for this class.
    public var ondrejovLabel: String {
        switch self {
        case .single: "emission"
        case .double: "double-peak"
        case .other: "absorption"
        }
    }

    /// Parses a class name (`single`, `double`, `other`) or an Ondřejov dataset label
    /// (`emission`, `double-peak`, `absorption`), case-insensitively.
    public init?(label: String) {
        switch label.trimmingCharacters(in: .whitespaces).lowercased() {
        case "single", "emission": self = .single
        case "double", "double-peak": self = .double
        case "other", "absorption": self = .other
        default: return nil
        }
    }
}
