import BalmerBus
import BalmerLabeling
import Foundation
import Testing

/// `loop.labellers`: names, keyed entries, their errors, and what balmerd refuses with them.
@Suite struct LabellerRosterTests {
    static func answer(_ labeller: String, task: String = "t1") -> LabelEvent {
        LabelEvent(taskID: task, spectrumID: "7", label: "single", labeller: labeller, time: Date(timeIntervalSince1970: 1_790_000_000))
    }

    @Test func namesOnlyRosterChecksNamesAndNeedsNoSignatures() throws {
        let roster = try LabellerRoster(["ana", "bob"])
        #expect(!roster.requiresSignatures && roster.description == "ana, bob")
        #expect(roster.refusal(of: Self.answer("ana")) == nil)
        #expect(roster.refusal(of: Self.answer("mallory"))?.code == "unknown-labeller")
        #expect(roster.refusal(of: Self.answer("mallory"))?.reason == "unknown labeller mallory: loop.labellers lists ana, bob")
        let anyone = try LabellerRoster([])
        #expect(anyone.refusal(of: Self.answer("mallory")) == nil && anyone.description == "anyone")
    }

    @Test func keyedRosterRefusesUnsignedForgedAndUnkeyedAnswers() throws {
        let ana = try LabelSigningKey.generate(labeller: "ana")
        let bob = try LabelSigningKey.generate(labeller: "bob")
        let roster = try LabellerRoster([ana.rosterEntry, bob.rosterEntry, "carol"])
        #expect(roster.requiresSignatures && roster.names == ["ana", "bob", "carol"])
        #expect(roster.keys["ana"] == [ana.publicKey] && roster.keys["carol"] == nil)

        #expect(roster.refusal(of: try LabelSignature.sign(Self.answer("ana"), with: ana)) == nil)
        #expect(roster.refusal(of: try LabelSignature.sign(Self.answer("bob"), with: bob)) == nil)
        // Unsigned.
        #expect(roster.refusal(of: Self.answer("ana"))?.code == "unsigned-label")
        // Bob signs an answer and claims it is ana's.
        var claimed = try LabelSignature.sign(Self.answer("bob"), with: bob)
        claimed.labeller = "ana"
        #expect(roster.refusal(of: claimed)?.code == "bad-signature")
        // Someone makes their own key for the name ana.
        let mallory = try LabelSigningKey.generate(labeller: "ana")
        let forged = try LabelSignature.sign(Self.answer("ana"), with: mallory)
        let refusal = try #require(roster.refusal(of: forged))
        #expect(refusal.code == "bad-signature" && refusal.reason.contains(ana.publicKey.fingerprint), "\(refusal)")
        // Listed without a key, or not at all: unknown, signed or not.
        let carol = try LabelSigningKey.generate(labeller: "carol")
        #expect(roster.refusal(of: try LabelSignature.sign(Self.answer("carol"), with: carol))?.code == "unknown-labeller")
        #expect(roster.refusal(of: Self.answer("dave"))?.code == "unknown-labeller")
        #expect(roster.refusal(of: "carol")?.contains("has no key") == true)

        // What balmer label checks before starting.
        #expect(roster.refusal(of: ana.publicKey, for: "ana") == nil)
        #expect(roster.refusal(of: mallory.publicKey, for: "ana")?.contains("is not the one loop.labellers lists for ana") == true)
        #expect(try LabellerRoster(["ana"]).refusal(of: mallory.publicKey, for: "ana") == nil)
    }

    @Test func aNameWithTwoKeysAcceptsEither() throws {
        let old = try LabelSigningKey.generate(labeller: "ana")
        let new = try LabelSigningKey.generate(labeller: "ana")
        let roster = try LabellerRoster([old.rosterEntry, new.rosterEntry, old.rosterEntry])
        #expect(roster.keys["ana"]?.count == 2)
        #expect(roster.refusal(of: try LabelSignature.sign(Self.answer("ana"), with: old)) == nil)
        #expect(roster.refusal(of: try LabelSignature.sign(Self.answer("ana"), with: new)) == nil)
    }

    @Test(arguments: [
        ("ana:ed25519:not-base64", "loop.labellers: the entry of ana: the public key is not base64 of 32 bytes"),
        ("ana:ed25519:" + Data(count: 16).base64EncodedString(), "the public key is not base64 of 32 bytes"),
        ("ana:rsa:" + Data(count: 32).base64EncodedString(), "the entry of ana is neither NAME nor NAME:ed25519:<base64 public key>"),
        ("ana:ed25519", "is neither NAME nor"),
        ("ana:ed25519:a:b", "is neither NAME nor"),
        ("an a", "loop.labellers: the labeller name may hold only"),
        (":ed25519:" + Data(count: 32).base64EncodedString(), "the labeller name is empty"),
    ])
    func badEntriesAreConfigurationErrors(entry: String, message: String) {
        do {
            _ = try LabellerRoster(["bob", entry])
            Issue.record("accepted \(entry)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}
