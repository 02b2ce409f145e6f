/// Splits CSV text into rows of fields (RFC 4180 quoting), remembering each row's line number.
enum CSVRows {
    struct Row {
        /// 1-based line where the row starts.
        var line: Int
        var fields: [String]
    }

    struct Failure: Error {
        var line: Int
        var reason: String
    }

    static func parse(_ text: String) throws(Failure) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var line = 1, rowLine = 1
        var quoted = false, wasQuoted = false
        var characters = text.makeIterator()
        var lookahead: Character? = nil
        func next() -> Character? {
            if let held = lookahead { lookahead = nil; return held }
            return characters.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    let following = next()
                    if following == "\"" { field.append("\"") } else { quoted = false; lookahead = following }
                } else {
                    if character.isNewline { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                guard field.isEmpty && !wasQuoted else { throw Failure(line: line, reason: "stray quote inside a field") }
                quoted = true
                wasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                wasQuoted = false
            case "\n", "\r\n", "\r":
                fields.append(field)
                rows.append(Row(line: rowLine, fields: fields))
                fields = []
                field = ""
                wasQuoted = false
                line += 1
                rowLine = line
            default:
                guard !wasQuoted else { throw Failure(line: line, reason: "text after a closing quote") }
                field.append(character)
            }
        }
        if quoted { throw Failure(line: rowLine, reason: "unterminated quoted field") }
        if !fields.isEmpty || !field.isEmpty || wasQuoted {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}
