import BalmerBus
import Foundation
import Testing

@Suite struct EventCodecTests {
    static let time = Date(timeIntervalSince1970: 1_795_000_000.125)

    static let spectrum = SpectrumEvent(spectrumID: "spec-55859-F5902_sp01-001", survey: "LAMOST", release: "DR9",
                                        location: "/data/dr9/spec-55859-F5902_sp01-001.fits.gz",
                                        ra: 83.5, dec: -5.25, mjd: 55859, designation: "J053400.00-051500.0")
    static let task = TaskEvent(
        taskID: "t-17", batchID: "b-3", iteration: 3, kind: .query, spectrumID: "s-1", modelVersion: "m-4",
        probabilities: ["single": 0.4, "double": 0.35, "other": 0.25], entropy: 1.08, ra: 10, dec: 20,
        location: "file:///data/s-1.fits",
        spectrum: .init(halphaFlux: (0..<140).map { Float($0) / 140 }, halphaRange: [6519, 6732],
                        fullFlux: (0..<300).map { sin(Float($0)) }, fullRange: [3700, 9100]))
    static let label = LabelEvent(taskID: "t-17", spectrumID: "s-1", label: "double", labeller: "ondrej", time: time,
                                  comment: "clear double peak", corrects: "t-16")
    static let model = ModelEvent(version: "m-5", sha256: String(repeating: "ab", count: 32),
                                  metrics: ["accuracy": 0.93, "loss": 0.21], location: "store:m-5")
    static let deadLetter = DeadLetterEvent(
        message: KafkaMessage(topic: "balmer.spectra", partition: 2, offset: 991, key: Array("k".utf8), value: [0, 255, 7, 10]),
        code: "malformed_json", reason: "SpectrumEvent: malformed JSON", time: time)

    func roundTrip<E: BalmerEvent>(_ event: E) throws -> E {
        let bytes = try EventCodec.encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["schema"] as? Int == E.schemaVersion)
        return try EventCodec.decode(E.self, from: bytes)
    }

    @Test func everyEventRoundTrips() throws {
        #expect(try roundTrip(Self.spectrum) == Self.spectrum)
        #expect(try roundTrip(Self.task) == Self.task)
        #expect(try roundTrip(Self.label) == Self.label)
        #expect(try roundTrip(Self.model) == Self.model)
        #expect(try roundTrip(Self.deadLetter) == Self.deadLetter)
        #expect(Self.deadLetter.originalPayload == [0, 255, 7, 10])
        #expect(Self.deadLetter.key == "balmer.spectra/2/991")
        let minimal = SpectrumEvent(spectrumID: "x", survey: "SDSS", release: "DR17", location: "/x.fits")
        #expect(try roundTrip(minimal) == minimal)
    }

    @Test func wireFormatUsesSnakeCaseKeys() throws {
        let text = String(decoding: try EventCodec.encode(Self.label), as: UTF8.self)
        #expect(text.contains("\"task_id\":\"t-17\""))
        #expect(text.contains("\"spectrum_id\":\"s-1\""))
        #expect(text.contains("\"time\":\"2026-11-18T11:06:40.125Z\""))
        #expect(text.contains("\"schema\":1"))
    }

    /// Found by the events fuzzer: a decoded `.392` second is held just below it, and formatting
    /// truncated it to `.391`, so each decode/encode trip lost a millisecond.
    @Test func timesKeepTheirMillisecondsThroughRoundTrips() throws {
        for milliseconds in ["000", "001", "392", "499", "999"] {
            let json = #"{"schema":1,"task_id":"t-1","spectrum_id":"s-1","label":"single","labeller":"a","time":"2026-11-18T11:06:40.\#(milliseconds)Z"}"#
            var event = try EventCodec.decode(LabelEvent.self, from: Array(json.utf8))
            for _ in 0..<3 {
                let text = String(decoding: try EventCodec.encode(event), as: UTF8.self)
                #expect(text.contains("\"time\":\"2026-11-18T11:06:40.\(milliseconds)Z\""), "\(text)")
                event = try EventCodec.decode(LabelEvent.self, from: Array(text.utf8))
            }
        }
        // Finer times round to the nearest millisecond, also across a second.
        let late = LabelEvent(taskID: "t", spectrumID: "s", label: "other", labeller: "a",
                              time: Date(timeIntervalSince1970: 1_795_000_000.9996))
        #expect(String(decoding: try EventCodec.encode(late), as: UTF8.self).contains("\"time\":\"2026-11-18T11:06:41.000Z\""))
    }

    /// The optional `signature` (schema 1 still): carried verbatim, absent in older events, and
    /// only base64 of a bounded size accepted.
    @Test func labelSignaturesAreOptionalAndChecked() throws {
        var signed = Self.label
        signed.signature = Data((0..<64).map { UInt8($0) }).base64EncodedString()
        #expect(try roundTrip(signed) == signed)
        let text = String(decoding: try EventCodec.encode(signed), as: UTF8.self)
        #expect(text.contains("\"signature\":\"\(signed.signature!)\"") && text.contains("\"schema\":1"), "\(text)")
        // An event of an older client, without the field, decodes unsigned; an unsigned event writes no field.
        let old = #"{"schema":1,"task_id":"t-1","spectrum_id":"s-1","label":"single","labeller":"a","time":"2026-11-18T11:06:40.000Z"}"#
        #expect(try EventCodec.decode(LabelEvent.self, from: Array(old.utf8)).signature == nil)
        #expect(!String(decoding: try EventCodec.encode(Self.label), as: UTF8.self).contains("signature"))
        for bad in ["", "abc", "%%%%", "not base64!", String(repeating: "A", count: 176)] {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(EventCodec.encode(signed))) as? [String: Any])
            object["signature"] = bad
            let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            guard case .invalidValue(let field, _)? = rejection(LabelEvent.self, json)?.reason else {
                Issue.record("signature \(bad.prefix(20)) accepted")
                continue
            }
            #expect(field == "signature")
        }
        var object = try #require(try JSONSerialization.jsonObject(with: Data(EventCodec.encode(signed))) as? [String: Any])
        object["signature"] = 17
        let wrongType = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(rejection(LabelEvent.self, wrongType)?.code == "wrong_type")
    }

    /// Decodes `json` as `E` and returns the error's code (nil when it decoded).
    func rejection<E: BalmerEvent>(_ type: E.Type, _ json: String, limits: EventLimits = .default) -> EventDecodingError? {
        do {
            _ = try EventCodec.decode(type, from: Array(json.utf8), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func badInputIsRejectedWithAReason() throws {
        let good = #"{"schema":1,"spectrum_id":"a","survey":"LAMOST","release":"DR9","location":"/a.fits"}"#
        #expect(rejection(SpectrumEvent.self, good) == nil)
        let cases: [(String, String, String)] = [
            (#"{"schema":1,"spectrum_id":"a""#, "malformed_json", "truncated"),
            ("[1,2,3]", "malformed_json", "not an object"),
            ("", "malformed_json", "empty"),
            (#"{"spectrum_id":"a","survey":"L","release":"R","location":"/a"}"#, "missing_schema", "no schema"),
            (#"{"schema":"1","spectrum_id":"a","survey":"L","release":"R","location":"/a"}"#, "missing_schema", "string schema"),
            (#"{"schema":2,"spectrum_id":"a","survey":"L","release":"R","location":"/a"}"#, "unsupported_schema", "future"),
            (#"{"schema":1,"survey":"L","release":"R","location":"/a"}"#, "missing_field", "no id"),
            (#"{"schema":1,"spectrum_id":null,"survey":"L","release":"R","location":"/a"}"#, "missing_field", "null id"),
            (#"{"schema":1,"spectrum_id":"a","survey":"L","release":"R","location":"/a","ra":"NaN"}"#, "wrong_type", "NaN string"),
            (#"{"schema":1,"spectrum_id":"a","survey":"L","release":"R","location":"/a","ra":400}"#, "invalid_value", "ra range"),
            (#"{"schema":1,"spectrum_id":"","survey":"L","release":"R","location":"/a"}"#, "invalid_value", "empty id"),
            (#"{"schema":1,"spectrum_id":"a\u0000b","survey":"L","release":"R","location":"/a"}"#, "invalid_value", "control char"),
            (#"{"schema":1,"spectrum_id":"a","survey":"L","release":"R","location":"   "}"#, "invalid_value", "blank location"),
        ]
        for (json, code, label) in cases {
            let error = rejection(SpectrumEvent.self, json)
            #expect(error?.code == code, "\(label)")
            #expect(error?.description.hasPrefix("SpectrumEvent: ") == true, "\(label)")
        }
        let missing = rejection(SpectrumEvent.self, #"{"schema":1,"survey":"L","release":"R","location":"/a"}"#)
        #expect(missing?.reason == .missingField("spectrum_id"))
        #expect(rejection(SpectrumEvent.self, #"{"schema":2}"#)?.reason == .unsupportedSchema(found: 2, supported: 1))
    }

    @Test func limitsBoundPayloadsAndArrays() throws {
        var task = Self.task
        task.spectrum.fullFlux = Array(repeating: 1, count: 5000)
        let bytes = try EventCodec.encode(task)
        let tight = EventLimits(maxArrayCount: 1000)
        #expect(rejection(TaskEvent.self, String(decoding: bytes, as: UTF8.self), limits: tight)?.reason
            == .tooManyElements(field: "spectrum.full_flux", count: 5000, limit: 1000))
        let small = EventLimits(maxPayloadBytes: 1000)
        #expect(rejection(TaskEvent.self, String(decoding: bytes, as: UTF8.self), limits: small)?.code == "payload_too_large")
        // Encoding refuses what decoding would refuse.
        #expect(throws: EventDecodingError.self) { try EventCodec.encode(task, limits: tight) }
    }

    @Test func taskAndLabelInvariantsAreChecked() throws {
        func encoded<E: BalmerEvent>(_ event: E, _ edit: (inout [String: Any]) -> Void) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(EventCodec.encode(event))) as? [String: Any])
            edit(&object)
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let badSum = try encoded(Self.task) { $0["probabilities"] = ["single": 0.9, "other": 0.9] }
        #expect(rejection(TaskEvent.self, badSum)?.code == "invalid_value")
        let badKind = try encoded(Self.task) { $0["kind"] = "random" }
        guard case .invalidValue(let field, _)? = rejection(TaskEvent.self, badKind)?.reason else {
            Issue.record("unknown kind accepted")
            return
        }
        #expect(field == "kind")
        let badEntropy = try encoded(Self.task) { $0["entropy"] = 5.0 }
        #expect(rejection(TaskEvent.self, badEntropy)?.code == "invalid_value")
        let badRange = try encoded(Self.task) { object in
            var spectrum = object["spectrum"] as! [String: Any]
            spectrum["halpha_range"] = [6732, 6519]
            object["spectrum"] = spectrum
        }
        #expect(rejection(TaskEvent.self, badRange)?.reason == .invalidValue(field: "spectrum.halpha_range", reason: "needs 0 < start < end (Å)"))
        let nanFlux = try encoded(Self.task) { object in
            var spectrum = object["spectrum"] as! [String: Any]
            spectrum["halpha_flux"] = [1, "NaN", 2]
            object["spectrum"] = spectrum
        }
        #expect(rejection(TaskEvent.self, nanFlux)?.code == "wrong_type")
        let badLabel = try encoded(Self.label) { $0["label"] = "maybe" }
        #expect(rejection(LabelEvent.self, badLabel)?.code == "invalid_value")
        let badTime = try encoded(Self.label) { $0["time"] = "yesterday" }
        #expect(rejection(LabelEvent.self, badTime)?.code == "invalid_value")
        let customLabels = EventLimits(labels: ["maybe"])
        #expect(rejection(LabelEvent.self, badLabel, limits: customLabels) == nil)
        let badHash = try encoded(Self.model) { $0["sha256"] = "ABC" }
        #expect(rejection(ModelEvent.self, badHash)?.code == "invalid_value")
        let badBase64 = try encoded(Self.deadLetter) { $0["original_payload_base64"] = "%%%" }
        #expect(rejection(DeadLetterEvent.self, badBase64)?.code == "invalid_value")
        let negativeOffset = try encoded(Self.deadLetter) { $0["original_offset"] = -1 }
        #expect(rejection(DeadLetterEvent.self, negativeOffset)?.code == "invalid_value")
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let base = Array(try! EventCodec.encode(Self.task))
        for round in 0..<300 {
            var bytes = base
            for _ in 0..<(1 + round % 8) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
            _ = try? EventCodec.decode(TaskEvent.self, from: bytes)
            _ = try? EventCodec.decode(LabelEvent.self, from: bytes)
        }
    }
}
