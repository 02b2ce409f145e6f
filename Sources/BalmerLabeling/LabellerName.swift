/// Rules for labeller names (`--labeller`), which go into every label event.
public enum LabellerName {
    /// Why `name` is not a valid labeller name, or `nil` when it is: 1–64 characters of letters,
    /// digits, `.`, `_`, `-` and `@`, starting with a letter or digit.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "the labeller name is empty" }
        if name.count > 64 { return "the labeller name is longer than 64 characters" }
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else {
            return "the labeller name must start with a letter or digit"
        }
        if let bad = name.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "._-@".contains($0))) }) {
            return "the labeller name may hold only letters, digits, '.', '_', '-' and '@' (found '\(bad.unicodeScalars.first.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) } ?? "?")')"
        }
        return nil
    }
}
