import BalmerBus
import BalmerCore
import Foundation
import Testing

/// Validation at the door: limits in bytes, no control characters in any text, NFC keys, and
/// dead letters that always fit the producer's message limit.
@Suite struct EventDoorTests {
    static func spectrumJSON(id: String = "a", location: String = "/a", designation: String? = nil) -> [UInt8] {
        var object: [String: Any] = ["schema": 1, "spectrum_id": id, "survey": "LAMOST", "release": "DR9", "location": location]
        if let designation { object["designation"] = designation }
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    static func refusal(_ bytes: [UInt8]) -> EventDecodingError? {
        do { _ = try EventCodec.decode(SpectrumEvent.self, from: bytes); return nil } catch { return error }
    }

    @Test func identifiersAreBoundedInBytes() throws {
        // 200 Characters, each an e with three combining acute accents: 7 bytes a Character.
        let heavy = String(repeating: "e\u{301}\u{301}\u{301}", count: 200)
        #expect(heavy.count == 200 && heavy.utf8.count == 1400)
        let error = try #require(Self.refusal(Self.spectrumJSON(id: heavy)))
        #expect(error.code == "invalid_value" && error.description.contains("bytes"), "\(error)")
        let family = String(repeating: "👨‍👩‍👧‍👦", count: 20)  // 20 Characters, 500 bytes
        #expect(Self.refusal(Self.spectrumJSON(id: family))?.code == "invalid_value")
        #expect(Self.refusal(Self.spectrumJSON(id: String(repeating: "é", count: 128))) == nil)  // 256 bytes
        #expect(Self.refusal(Self.spectrumJSON(id: String(repeating: "é", count: 129)))?.code == "invalid_value")
        #expect(Self.refusal(Self.spectrumJSON(location: String(repeating: "ü", count: 2049)))?.code == "invalid_value")
        #expect(Self.refusal(Self.spectrumJSON(location: "/" + String(repeating: "ü", count: 2047))) == nil)
    }

    @Test func controlCharactersAreRefusedEverywhere() {
        for bad in ["a\u{0}b", "a\u{1}", "a\tb", "a\nb", "a\u{7F}", "a\u{85}b", "a\u{9F}"] {
            #expect(Self.refusal(Self.spectrumJSON(id: bad))?.code == "invalid_value", "id \(bad.debugDescription)")
            #expect(Self.refusal(Self.spectrumJSON(location: "/x" + bad))?.code == "invalid_value", "location \(bad.debugDescription)")
            #expect(Self.refusal(Self.spectrumJSON(designation: "J" + bad))?.code == "invalid_value", "designation \(bad.debugDescription)")
            let label = LabelEvent(taskID: "t", spectrumID: "s", label: "single", labeller: "ana", time: Date(), comment: "c" + bad)
            #expect(throws: EventDecodingError.self, "comment \(bad.debugDescription)") { try EventCodec.encode(label) }
        }
        // Format characters (bidi overrides, zero-width joiners) are not control characters.
        #expect(Self.refusal(Self.spectrumJSON(id: "\u{202E}rtl\u{200D}")) == nil)
    }

    @Test func keysAreNormalisedToNFC() throws {
        let event = try EventCodec.decode(SpectrumEvent.self, from: Self.spectrumJSON(id: "Caf" + "e\u{301}", designation: "A\u{30A}"))
        #expect(Array(event.spectrumID.unicodeScalars) == Array("Caf\u{E9}".unicodeScalars))
        #expect(Array(event.designation!.unicodeScalars) == ["\u{C5}"])
        let label = LabelEvent(taskID: "t-e\u{301}", spectrumID: "s-e\u{301}", label: "single", labeller: "Zoe\u{308}", time: Date(),
                               corrects: "u-e\u{301}")
        let decoded = try EventCodec.decode(LabelEvent.self, from: try EventCodec.encode(label))
        for (value, expected) in [(decoded.taskID, "t-\u{E9}"), (decoded.spectrumID, "s-\u{E9}"), (decoded.labeller, "Zo\u{EB}"),
                                  (decoded.corrects!, "u-\u{E9}")] {
            #expect(Array(value.utf8) == Array(expected.utf8), "\(value)")
        }
        // Limits apply to the NFC form: 128 decomposed é are 384 bytes, but 256 as NFC.
        #expect(Self.refusal(Self.spectrumJSON(id: String(repeating: "e\u{301}", count: 128))) == nil)
    }

    @Test func deadLettersAreCappedAndStayDecodable() throws {
        let payload = [UInt8]((0..<760_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let message = KafkaMessage(topic: "balmer.spectra", partition: 1, offset: 5, key: [0x6b, 0x00, 0xff], value: payload)
        let letter = DeadLetterEvent(message: message, code: "malformed_json", reason: "bad\u{0} line\nnext",
                                     time: Date(timeIntervalSince1970: 1_795_000_000.125))
        #expect(letter.truncated == true && letter.originalPayloadBytes == 760_000)
        #expect(letter.originalPayloadSHA256 == SHA256.hex(payload))
        #expect(letter.originalPayload == Array(payload.prefix(DeadLetterEvent.maxPayloadBytes)))
        #expect(letter.originalKey == RejectKey.printable([0x6b, 0x00, 0xff]))
        #expect(!letter.reason.unicodeScalars.contains(where: RejectKey.isControl))
        let bytes = try EventCodec.encode(letter)
        #expect(bytes.count < 100_000, "\(bytes.count) bytes")
        #expect(try EventCodec.decode(DeadLetterEvent.self, from: bytes) == letter)
        // Small payloads: whole, no truncation fields at all (the schema-1 shape of before).
        let small = DeadLetterEvent(message: KafkaMessage(topic: "t", partition: 0, offset: 1, key: nil, value: [1, 2]),
                                    code: "x", reason: "y")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try EventCodec.encode(small))) as? [String: Any])
        #expect(object["truncated"] == nil && object["original_payload_bytes"] == nil && small.originalPayload == [1, 2])
        // The last resort drops the payload but keeps its length and digest.
        let bare = letter.withoutPayload
        #expect(bare.originalPayloadBase64.isEmpty && bare.originalPayloadBytes == 760_000 && bare.originalPayloadSHA256 == SHA256.hex(payload))
        #expect(try EventCodec.decode(DeadLetterEvent.self, from: try EventCodec.encode(bare)) == bare)
    }

    @Test func rejectRowsFromMessagesAreBounded() {
        let key = Array(String(repeating: "k", count: 3000).utf8)
        let reject = RejectRecord(message: KafkaMessage(topic: "balmer.spectra", partition: 0, offset: 0, key: key,
                                                        value: [UInt8](repeating: 0x41, count: 2 << 20)), reason: "malformed_json")
        #expect(reject.source == "balmer.spectra" && reject.key.utf8.count <= RejectKey.maxBytes)
        #expect(reject.payload.count < RejectRecord.maxPayloadBytes + 200)
        let ingest = RejectRecord(message: KafkaMessage(topic: "balmer.spectra", partition: 0, offset: 0, key: nil, value: [1]),
                                  reason: "store-refused", source: "ingest")
        #expect(ingest.source == "ingest" && ingest.key == "" && ingest.payload == Data([1]))
    }
}
