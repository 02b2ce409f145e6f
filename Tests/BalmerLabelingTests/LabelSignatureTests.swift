import BalmerBus
import BalmerLabeling
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ed25519 signatures of label events: the signed bytes, signing and verifying through the
/// event's JSON, and the key files of `balmer label keygen`.
@Suite struct LabelSignatureTests {
    static let event = LabelEvent(taskID: "t-17", spectrumID: "4711", label: "double", labeller: "ana",
                                  time: Date(timeIntervalSince1970: 1_790_000_000.123), comment: "weak | blue wing",
                                  corrects: "t-16")

    /// Through the JSON codec, as balmerd receives it.
    func wire(_ event: LabelEvent) throws -> LabelEvent {
        try EventCodec.decode(LabelEvent.self, from: EventCodec.encode(event))
    }

    @Test func signedAnswersVerifyAfterTheirJSONRoundTrip() throws {
        let key = try LabelSigningKey.generate(labeller: "ana")
        let signed = try LabelSignature.sign(Self.event, with: key)
        let signature = try #require(signed.signature)
        #expect(Data(base64Encoded: signature)?.count == 64)
        #expect(LabelSignature.verify(try wire(signed), keys: [key.publicKey]))
        // Sub-millisecond clock digits are not on the wire; the signature covers what is.
        var fine = Self.event
        fine.time = Date(timeIntervalSince1970: 1_790_000_000.123_456_7)
        #expect(LabelSignature.verify(try wire(LabelSignature.sign(fine, with: key)), keys: [key.publicKey]))
        // Unsigned, another key, a garbled signature: no.
        #expect(!LabelSignature.verify(Self.event, keys: [key.publicKey]))
        let other = try LabelSigningKey.generate(labeller: "ana")
        #expect(!LabelSignature.verify(try wire(signed), keys: [other.publicKey]))
        #expect(LabelSignature.verify(try wire(signed), keys: [other.publicKey, key.publicKey]))
        var garbled = signed
        garbled.signature = Data(repeating: 7, count: 64).base64EncodedString()
        #expect(!LabelSignature.verify(garbled, keys: [key.publicKey]))
        // A key signs its own labeller's answers only.
        var bobs = Self.event
        bobs.labeller = "bob"
        #expect(throws: LabelKeyError.self) { try LabelSignature.sign(bobs, with: key) }
    }

    /// Every field that matters is signed: changing any one breaks the signature.
    @Test(arguments: [
        "task_id", "spectrum_id", "label", "labeller", "time", "comment", "comment-removed", "comment-empty",
        "corrects", "corrects-removed",
    ])
    func changingAnyFieldBreaksTheSignature(field: String) throws {
        let key = try LabelSigningKey.generate(labeller: "ana")
        let signed = try wire(LabelSignature.sign(Self.event, with: key))
        var changed = signed
        switch field {
        case "task_id": changed.taskID = "t-18"
        case "spectrum_id": changed.spectrumID = "4712"
        case "label": changed.label = "single"
        case "labeller": changed.labeller = "anna"
        case "time": changed.time = signed.time.addingTimeInterval(0.001)
        case "comment": changed.comment = "weak | red wing"
        case "comment-removed": changed.comment = nil
        case "comment-empty": changed.comment = ""
        case "corrects": changed.corrects = "t-15"
        case "corrects-removed": changed.corrects = nil
        default: Issue.record("unknown field \(field)")
        }
        #expect(LabelSignature.message(of: changed) != LabelSignature.message(of: signed))
        #expect(!LabelSignature.verify(try wire(changed), keys: [key.publicKey]), "\(field)")
        #expect(LabelSignature.verify(signed, keys: [key.publicKey]))
    }

    /// Length prefixes and presence bytes: shifting text between fields, or from a comment into
    /// `corrects`, or an empty comment for none, never gives the same bytes.
    @Test func theMessageIsUnambiguous() throws {
        func event(_ task: String, _ spectrum: String, comment: String? = nil, corrects: String? = nil) -> LabelEvent {
            LabelEvent(taskID: task, spectrumID: spectrum, label: "other", labeller: "ana", time: Self.event.time,
                       comment: comment, corrects: corrects)
        }
        let pairs: [(LabelEvent, LabelEvent)] = [
            (event("ab", "c"), event("a", "bc")),
            (event("t", "s", comment: "a|b"), event("t", "s", comment: "a", corrects: "b")),
            (event("t", "s", comment: "x"), event("t", "s", corrects: "x")),
            (event("t", "s", comment: ""), event("t", "s")),
            (event("t", "s", comment: "\u{0}\u{0}\u{0}\u{1}x"), event("t", "s", comment: "")),
        ]
        let key = try LabelSigningKey.generate(labeller: "ana")
        for (first, second) in pairs {
            #expect(LabelSignature.message(of: first) != LabelSignature.message(of: second), "\(first) vs \(second)")
            var forged = second
            forged.signature = try LabelSignature.sign(first, with: key).signature
            #expect(!LabelSignature.verify(forged, keys: [key.publicKey]))
        }
    }

    /// The byte layout the documentation gives (a format change must change the domain tag).
    @Test func theMessageLayoutIsTheDocumentedOne() {
        let event = LabelEvent(taskID: "t", spectrumID: "42", label: "single", labeller: "al",
                               time: Date(timeIntervalSince1970: 1.5), comment: nil, corrects: "u")
        func field(_ text: String) -> [UInt8] { [0, 0, 0, UInt8(text.utf8.count)] + Array(text.utf8) }
        let expected = field(LabelSignature.domain) + field("t") + field("42") + field("single") + field("al")
            + [0, 0, 0, 0, 0, 0, 0x05, 0xDC]  // 1500 ms
            + [0] + [1] + field("u")
        #expect(LabelSignature.message(of: event) == expected)
        #expect(LabelSignature.domain == "balmer.label/ed25519/v1")
    }

    // MARK: Key files

    @Test func keyFilesRoundTripWithMode0600AndAreNeverReplaced() throws {
        let directory = NSTemporaryDirectory() + "balmer-keys-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try LabelSigningKey.generate(labeller: "ana.b@x")
        let path = try key.write(toDirectory: directory)
        #expect(path == directory + "/ana.b@x.ed25519")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let read = try LabelSigningKey(contentsOfFile: path)
        #expect(read.labeller == "ana.b@x" && read.publicKey == key.publicKey)
        #expect(read.rosterEntry == "ana.b@x:ed25519:" + key.publicKey.base64)
        #expect(key.publicKey.base64.count == 44 && key.publicKey.fingerprint.count == 16)
        // A second key for the name does not replace the first.
        let again = try LabelSigningKey.generate(labeller: "ana.b@x")
        #expect(throws: LabelKeyError.self) { try again.write(toDirectory: directory) }
        #expect(try LabelSigningKey(contentsOfFile: path).publicKey == key.publicKey)
        // A key others may read is refused.
        chmod(path, 0o644)
        do {
            _ = try LabelSigningKey(contentsOfFile: path)
            Issue.record("a world-readable key file was accepted")
        } catch {
            #expect(error.description.contains("may be read by others (mode 644)"), "\(error)")
        }
        #expect(throws: LabelKeyError.self) { try LabelSigningKey.generate(labeller: "a b") }
    }

    @Test(arguments: [
        ("", "expected one key line"),
        ("ana:ed25519:AAAA\nbob:ed25519:AAAA", "found 2"),
        ("ana:ed25519:" + Data(count: 32).base64EncodedString(), "not NAME:ed25519-private"),
        ("ana:ed25519-private:abc", "not base64 of 32 bytes"),
        ("ana:ed25519-private:" + Data(count: 31).base64EncodedString(), "not base64 of 32 bytes"),
        ("a na:ed25519-private:" + Data(count: 32).base64EncodedString(), "may hold only"),
    ])
    func badKeyTextIsRefusedWithAReason(text: String, reason: String) {
        do {
            _ = try LabelSigningKey(text: "# comment\n" + text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }
}
