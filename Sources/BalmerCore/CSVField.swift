/// RFC 4180 field quoting shared by Balmer's CSV writers (dataset, truth, candidates).
public enum CSVField {
    /// `field` as written in a record: in double quotes when it holds a comma, a quote, CR or LF.
    /// Checked scalar by scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
    public static func escaped(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return quoted(field)
    }

    /// `field` in double quotes with each quote doubled, scalar by scalar: a quote followed by a
    /// combining mark is one Character, which `replacingOccurrences(of: "\"", …)` would skip.
    public static func quoted(_ field: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in field.unicodeScalars {
            if scalar == "\"" { out.append("\"") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }
}
