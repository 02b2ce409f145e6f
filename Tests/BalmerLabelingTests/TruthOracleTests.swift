import BalmerLabeling
import Testing

@Suite struct TruthOracleTests {
    let truth: [(file: String, label: String)] = (0..<200).map { index in
        ("spec-55919-B5591903_sp01-\(index).fits", ["single", "double", "other"][index % 3])
    }

    @Test func matchesByFileStemKeyOrSpectrumID() {
        let oracle = TruthOracle(truth: truth)
        #expect(oracle.answer(taskID: "a", location: "/data/sim/spec-55919-B5591903_sp01-4.fits.gz") == "double")
        #expect(oracle.answer(taskID: "b", location: "file:///x/SPEC-55919-B5591903_SP01-5.FITS") == "other")
        #expect(oracle.answer(taskID: "c", location: "s3://elsewhere/unknown.fits", surveyKey: "spec-55919-B5591903_sp01-6") == "single")
        #expect(oracle.answer(taskID: "d", location: "/nowhere.fits", spectrumID: "spec-55919-B5591903_sp01-7.fits") == "double")
        #expect(oracle.answer(taskID: "e", location: "/data/other.fits", surveyKey: "123", spectrumID: "9") == nil)
        #expect(TruthOracle.stem("/a/b/spec-1.fit.gz") == "spec-1")
    }

    @Test func errorRateIsDeterministicAndNearItsValue() {
        let tasks = truth.map { (id: "task-\($0.file)", location: "/d/" + $0.file, label: $0.label) }
        func answers(_ oracle: TruthOracle) -> [String] { tasks.map { oracle.answer(taskID: $0.id, location: $0.location)! } }
        let first = answers(TruthOracle(truth: truth, errorRate: 0.3, seed: 7))
        let again = answers(TruthOracle(truth: truth, errorRate: 0.3, seed: 7))
        // Arrival order does not matter: the draw depends on the task only.
        let reversed = tasks.reversed().map { TruthOracle(truth: truth, errorRate: 0.3, seed: 7).answer(taskID: $0.id, location: $0.location)! }
        let other = answers(TruthOracle(truth: truth, errorRate: 0.3, seed: 8))
        #expect(first == again)
        #expect(first == Array(reversed.reversed()))
        #expect(first != other)
        let wrong = zip(first, tasks).filter { $0.0 != $0.1.label }.count
        #expect((30...90).contains(wrong), "\(wrong) of 200 wrong at rate 0.3")
        #expect(answers(TruthOracle(truth: truth, errorRate: 0, seed: 7)) == tasks.map(\.label))
        #expect(zip(answers(TruthOracle(truth: truth, errorRate: 1, seed: 7)), tasks).allSatisfy { $0.0 != $0.1.label })
    }
}
