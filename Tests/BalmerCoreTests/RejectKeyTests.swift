import BalmerCore
import Foundation
import Testing

/// The printable, bounded keys and payloads of `rejects` rows.
@Suite struct RejectKeyTests {
    @Test func plainKeysAreKept() {
        for key in ["spec-1", "Ωμέγα 星 🚀", "it's \"odd\" $1", String(repeating: "k", count: RejectKey.maxBytes), ""] {
            #expect(RejectKey.printable(key) == key)
        }
    }

    @Test func hostileKeysBecomePrintableAndBounded() throws {
        let cases: [[UInt8]] = [
            Array("a\u{0}b".utf8), Array("tab\there".utf8), Array("c1\u{85}x".utf8), Array("del\u{7F}".utf8),
            [0x61, 0xff, 0xfe, 0x62], Array(String(repeating: "x", count: 3000).utf8),
            Array(String(repeating: "e\u{301}\u{301}\u{301}", count: 200).utf8),
            Array(String(repeating: "\u{0}", count: 5000).utf8),
        ]
        var seen = Set<String>()
        for raw in cases {
            let key = RejectKey.printable(raw)
            #expect(key.utf8.count <= RejectKey.maxBytes, "\(key.utf8.count) bytes")
            #expect(!key.unicodeScalars.contains(where: RejectKey.isControl), "\(key.debugDescription)")
            let digest = String(SHA256.hex(raw).prefix(16))
            #expect(key.hasSuffix("…#sha256:" + digest), "\(key.debugDescription)")
            #expect(RejectKey.printable(raw) == key, "deterministic")
            seen.insert(key)
        }
        #expect(seen.count == cases.count, "distinct raw keys keep distinct printable keys")
        #expect(RejectKey.printable(Array("a\u{0}b".utf8)).hasPrefix("a\\u{0}b…"))
        #expect(RejectKey.printable([0x61, 0xff, 0x62]).hasPrefix("a\u{FFFD}b…"))
    }

    @Test func printableTextEscapesAndCuts() {
        #expect(RejectKey.printableText("one\ntwo", maxBytes: 100) == "one\\u{A}two")
        let cut = RejectKey.printableText(String(repeating: "é", count: 100), maxBytes: 51)
        #expect(cut.utf8.count <= 51 && cut.hasSuffix("…"))
        #expect(RejectKey.printableText("short", maxBytes: 5) == "short")
    }

    @Test func payloadIsCappedWithItsDigest() throws {
        let small: [UInt8] = Array("{}".utf8)
        #expect(RejectRecord.boundedPayload(small, maxBytes: 10) == Data(small))
        let big = [UInt8]((0..<5000).map { UInt8($0 % 251) })
        let bounded = RejectRecord.boundedPayload(big, maxBytes: 1000)
        #expect(bounded.prefix(1000) == Data(big.prefix(1000)))
        let note = String(decoding: bounded.dropFirst(1000), as: UTF8.self)
        #expect(note == "\n#balmer-truncated original_payload_bytes=5000 original_payload_sha256=\(SHA256.hex(big))\n")
        let reject = RejectRecord(source: "balmer.spectra", rawKey: Array("k\u{0}".utf8), reason: "malformed_json", payload: big,
                                  maxPayload: 100)
        #expect(reject.payload.count < 300 && reject.key.hasPrefix("k\\u{0}…#sha256:"))
        #expect(RejectRecord(source: "s", rawKey: nil, reason: "r", payload: small).key == "")
        let sanitised = RejectRecord(source: "s", key: "x\u{0}y", reason: "r\u{1}", payload: Data(big)).sanitised
        #expect(sanitised.payload.count < 4300 && !sanitised.key.contains("\u{0}") && !sanitised.reason.contains("\u{1}"))
    }
}

extension RejectKeyTests {
    /// What the store writes: payloads over the cap are cut once, never twice.
    @Test func storablePayloads() {
        let big = Data(repeating: 7, count: RejectRecord.maxPayloadBytes * 3)
        let raw = RejectRecord(source: "ingest", key: "k", reason: "cannot-open", payload: big)
        let stored = raw.storable
        #expect(stored.payload.count > RejectRecord.maxPayloadBytes && stored.payload.count <= RejectRecord.maxStoredPayloadBytes)
        #expect(stored.payload == RejectRecord.boundedPayload(Array(big)))
        #expect(stored.storable == stored)
        let small = RejectRecord(source: "ingest", key: "k", reason: "r", payload: Data([1, 2, 3]))
        #expect(small.storable == small)
    }
}
