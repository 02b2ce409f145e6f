import BalmerLabeling
import Testing

@Suite struct AnswersCSVTests {
    @Test func readsLabelsOndrejovNamesCommentsAndQuotes() throws {
        let text = "task_id,label,comment\nt1,single,\nt2,Double-Peak,\"broad, asymmetric\"\n"
            + "t3, absorption ,\"said \"\"maybe\"\"\"\n\nt4,emission,ok"
        let answers = try AnswersCSV.parse(text)
        #expect(answers.map(\.taskID) == ["t1", "t2", "t3", "t4"])
        #expect(answers.map(\.label) == ["single", "double", "other", "single"])
        #expect(answers.map(\.comment) == [nil, "broad, asymmetric", "said \"maybe\"", "ok"])
        #expect(answers.map(\.line) == [2, 3, 4, 6])
    }

    @Test func optionalColumnsInAnyOrder() throws {
        let answers = try AnswersCSV.parse("label,spectrum_id,task_id\r\nother,42,t9\r\n")
        #expect(answers == [AnswersCSV.Answer(taskID: "t9", label: "other", comment: nil, spectrumID: "42", line: 2)])
    }

    @Test(arguments: [
        ("", 0, "empty file"),
        ("t1,single\n", 1, "unknown column"),
        ("task_id,comment\nt1,x\n", 1, "must name task_id and label"),
        ("task_id,label\nt1,single\nt2,maybe\n", 3, "unknown label 'maybe'"),
        ("task_id,label\nt1,single\nt1,other\n", 3, "already answered on line 2"),
        ("task_id,label\n\n\nt1,single,extra\n", 4, "expected 2 fields, found 3"),
        ("task_id,label\n,single\n", 2, "bad task_id"),
        ("task_id,label,comment\nt1,single,\"open\n", 2, "unterminated quoted field"),
        ("task_id,label,label\nt1,single,single\n", 1, "named twice"),
    ])
    func badFilesNameTheLine(text: String, line: Int, reason: String) {
        #expect {
            try AnswersCSV.parse(text)
        } throws: { error in
            guard let failure = error as? AnswersCSV.Failure else { return false }
            return failure.line == line && failure.description.contains(reason)
                && (line == 0 || failure.description.hasPrefix("line \(line):"))
        }
    }
}
