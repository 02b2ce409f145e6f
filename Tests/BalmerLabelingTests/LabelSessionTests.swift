import BalmerBus
import BalmerLabeling
import Foundation
import Testing

@Suite struct LabelSessionTests {
    func session(_ ids: [String]) -> LabelSession {
        var session = LabelSession(labeller: "alice")
        for (index, id) in ids.enumerated() { session.enqueue(Fixtures.task(id), ticket: Int64(index)) }
        return session
    }

    func published(_ effects: [LabelSession.Effect]) -> (LabelEvent, LabelSession.Item?)? {
        guard effects.count == 1, case .publish(let event, let item) = effects[0] else { return nil }
        return (event, item)
    }

    @Test(arguments: [("s", "single"), ("d", "double"), ("o", "other"), ("S", "single"), ("O", "other")])
    func labelKeysAnswerTheTaskOnScreen(key: Character, label: String) throws {
        var session = session(["t1", "t2"])
        let (event, item) = try #require(published(session.handle(.character(key), now: Fixtures.t0)))
        #expect(event.taskID == "t1" && event.spectrumID == "sp-t1" && event.label == label)
        #expect(event.labeller == "alice" && event.time == Fixtures.t0 && event.corrects == nil && event.comment == nil)
        #expect(item?.ticket == 0)
        #expect(session.shownTask?.taskID == "t2")
        #expect(session.summary.answered[label] == 1)
    }

    @Test func skipHandsTheTaskBackAndMovesOn() throws {
        var session = session(["t1", "t2"])
        let effects = session.handle(.character("k"), now: Fixtures.t0)
        #expect(effects.count == 1)
        guard case .skip(let item) = try #require(effects.first) else { Issue.record("not a skip"); return }
        #expect(item.task.taskID == "t1")
        #expect(session.shownTask?.taskID == "t2")
        #expect(session.summary.skipped == 1)
    }

    @Test func undoThenAnswerSendsACorrectionAndReturnsToTheQueue() throws {
        var session = session(["t1", "t2", "t3"])
        _ = session.handle(.character("s"), now: Fixtures.t0)
        _ = session.handle(.character("d"), now: Fixtures.t0)
        #expect(session.shownTask?.taskID == "t3")
        #expect(session.handle(.character("u"), now: Fixtures.t0).isEmpty)
        #expect(session.shownTask?.taskID == "t2")
        #expect(session.correctedLabel == "double")
        let later = Fixtures.t0.addingTimeInterval(30)
        let (event, item) = try #require(published(session.handle(.character("o"), now: later)))
        #expect(item == nil)
        #expect(event.taskID == "t2" && event.corrects == "t2" && event.label == "other" && event.time == later)
        #expect(session.shownTask?.taskID == "t3")
        #expect(session.correctedLabel == nil)
        #expect(session.summary.corrections == 1)
        #expect(session.summary.answered == ["single": 1, "double": 0, "other": 1])
        // Undo twice goes back two answers; k keeps the earlier answer without an event.
        _ = session.handle(.character("u"), now: later)
        _ = session.handle(.character("u"), now: later)
        #expect(session.shownTask?.taskID == "t1")
        #expect(session.handle(.character("k"), now: later).isEmpty)
        #expect(session.shownTask?.taskID == "t3")
        #expect(session.summary.skipped == 0)
    }

    @Test func undoWithNothingAnsweredSaysSo() {
        var session = session(["t1"])
        #expect(session.handle(.character("u"), now: Fixtures.t0).isEmpty)
        #expect(session.message.contains("nothing to undo"))
        #expect(session.shownTask?.taskID == "t1")
    }

    @Test func commentIsEditedKeptAndSentWithTheAnswer() throws {
        var session = session(["t1", "t2"])
        _ = session.handle(.character("c"), now: Fixtures.t0)
        for character in "weak lime" { _ = session.handle(.character(character), now: Fixtures.t0) }
        _ = session.handle(.backspace, now: Fixtures.t0)
        _ = session.handle(.backspace, now: Fixtures.t0)
        for character in "ne" { _ = session.handle(.character(character), now: Fixtures.t0) }
        #expect(session.mode == .comment("weak line"))
        // Keys typed into a comment are text, not commands.
        #expect(session.shownTask?.taskID == "t1")
        _ = session.handle(.enter, now: Fixtures.t0)
        #expect(session.comment == "weak line")
        let (event, _) = try #require(published(session.handle(.character("s"), now: Fixtures.t0)))
        #expect(event.comment == "weak line")
        #expect(session.comment == nil)
        // Escape drops a draft.
        _ = session.handle(.character("c"), now: Fixtures.t0)
        _ = session.handle(.character("x"), now: Fixtures.t0)
        _ = session.handle(.escape, now: Fixtures.t0)
        #expect(session.mode == .normal && session.comment == nil)
    }

    @Test func helpTogglesAndSwallowsTheNextKey() {
        var session = session(["t1"])
        _ = session.handle(.character("?"), now: Fixtures.t0)
        #expect(session.mode == .help)
        #expect(session.handle(.character("s"), now: Fixtures.t0).isEmpty)
        #expect(session.mode == .normal)
        #expect(session.shownTask?.taskID == "t1")
    }

    @Test(arguments: [LabelKey.character("q"), .character("Q"), .interrupt, .endOfInput])
    func quitKeys(key: LabelKey) {
        var session = session(["t1"])
        #expect(session.handle(key, now: Fixtures.t0) == [.quit])
    }

    @Test func ctrlCQuitsEvenWhileTypingAComment() {
        var session = session(["t1"])
        _ = session.handle(.character("c"), now: Fixtures.t0)
        #expect(session.handle(.character("q"), now: Fixtures.t0).isEmpty)
        #expect(session.handle(.interrupt, now: Fixtures.t0) == [.quit])
    }

    @Test func linksKeyAndUnknownKeys() {
        var session = session(["t1"])
        #expect(session.handle(.character("l"), now: Fixtures.t0) == [.openLinks(Fixtures.task("t1"))])
        #expect(session.handle(.character("z"), now: Fixtures.t0).isEmpty)
        #expect(session.message.contains("unknown key"))
        #expect(session.handle(.other, now: Fixtures.t0).isEmpty)
    }

    @Test func answersWithoutATaskDoNothing() {
        var session = LabelSession(labeller: "alice")
        #expect(session.handle(.character("s"), now: Fixtures.t0).isEmpty)
        #expect(session.handle(.character("k"), now: Fixtures.t0).isEmpty)
        #expect(session.summary.answeredTotal == 0)
    }

    @Test func duplicatesAndAnsweredTasksAreRefused() {
        var session = session(["t1", "t2"])
        let waiting = session.enqueue(Fixtures.task("t2"), ticket: 9)
        _ = session.handle(.character("s"), now: Fixtures.t0)
        let answered = session.enqueue(Fixtures.task("t1"), ticket: 10)
        let fresh = session.enqueue(Fixtures.task("t3"), ticket: 11)
        #expect(!waiting && !answered && fresh)
    }

    @Test func failedDeliveryPutsTheTaskBackInFront() throws {
        var session = session(["t1", "t2"])
        let (event, item) = try #require(published(session.handle(.character("d"), now: Fixtures.t0)))
        session.deliveryFailed(event, item: item, reason: "timed out")
        #expect(session.shownTask?.taskID == "t1")
        #expect(session.queue.map(\.task.taskID) == ["t2"])
        #expect(session.summary.answeredTotal == 0)
        let duplicate = session.enqueue(Fixtures.task("t1"), ticket: 5)
        #expect(!duplicate)  // still waiting, so a duplicate
    }

    @Test func droppedPartitionsLeaveTheScreen() {
        var session = session(["t1", "t2", "t3"])
        let removed = session.drop { $0.ticket != 2 }
        #expect(Set(removed.map(\.task.taskID)) == ["t1", "t2"])
        #expect(session.shownTask?.taskID == "t3")
    }

    @Test func summaryText() {
        var session = session(["t1", "t2", "t3"])
        _ = session.handle(.character("s"), now: Fixtures.t0)
        _ = session.handle(.character("k"), now: Fixtures.t0)
        session.noteMalformed("bad json")
        #expect(session.summary.description == "answered 1 (single 1, double 0, other 0), skipped 1, corrections 0, malformed 1")
    }
}

@Suite struct KeyDecoderTests {
    @Test func decodesTextControlBytesAndEscapeSequences() {
        var decoder = KeyDecoder()
        #expect(decoder.keys(from: Array("sd".utf8)) == [.character("s"), .character("d")])
        #expect(decoder.keys(from: [0x0D, 0x7F, 0x03, 0x04]) == [.enter, .backspace, .interrupt, .endOfInput])
        #expect(decoder.keys(from: [0x1B, 0x5B, 0x41, 0x71]) == [.other, .character("q")])  // arrow up, then q
        #expect(decoder.keys(from: [0x1B]) == [.escape])
        let e = Array("é".utf8)
        #expect(decoder.keys(from: [e[0]]).isEmpty)
        #expect(decoder.keys(from: [e[1]]) == [.character("é")])
    }
}

@Suite struct LabellerNameTests {
    @Test(arguments: ["alice", "j.smith@ondrejov", "user_2", "A-b"])
    func accepted(name: String) { #expect(LabellerName.problem(name) == nil) }

    @Test(arguments: ["", " alice", "al ice", "-x", String(repeating: "a", count: 65), "a\u{7}b", "žofie"])
    func refused(name: String) { #expect(LabellerName.problem(name) != nil) }
}
