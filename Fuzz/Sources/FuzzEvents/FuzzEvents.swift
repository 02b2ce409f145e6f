import BalmerBus
import Foundation
import FuzzSupport

/// Fuzzes ``EventCodec/decode(_:from:limits:)`` for every event type on Balmer's topics. Each
/// input is decoded as each type; a decoded event must re-encode, and decoding that payload must
/// give an event that encodes to the same bytes (the codec reaches a fixed point in one trip).
@main
struct FuzzEvents {
    static func main() { Fuzz.run(fuzzEventsInput) }

    static func test(_ bytes: [UInt8]) {
        roundTrip(SpectrumEvent.self, bytes, exact: true)
        roundTrip(LabelEvent.self, bytes, exact: false)
        roundTrip(TaskEvent.self, bytes, exact: true)
        roundTrip(ModelEvent.self, bytes, exact: true)
        roundTrip(DeadLetterEvent.self, bytes, exact: false)
    }

    /// `exact`: the event has no time field, so the re-decoded event equals the original (times
    /// are written to the millisecond, so finer ones change once).
    static func roundTrip<E: BalmerEvent>(_ type: E.Type, _ bytes: [UInt8], exact: Bool) {
        let event: E
        do {
            event = try EventCodec.decode(type, from: bytes)
        } catch {
            Fuzz.expect(!error.description.isEmpty && !error.code.isEmpty, "an error without code or reason")
            return
        }
        let name = String(describing: type)
        do {
            let payload = try EventCodec.encode(event)
            let again = try EventCodec.decode(type, from: payload)
            if exact { Fuzz.expect(again == event, "\(name) changed in a round trip") }
            let payloadAgain = try EventCodec.encode(again)
            Fuzz.expect(payloadAgain == payload, "\(name) encodes differently after a round trip:\n\(String(decoding: payload, as: UTF8.self))\n\(String(decoding: payloadAgain, as: UTF8.self))")
            Fuzz.expect(try EventCodec.decode(type, from: payloadAgain) == again, "\(name) is not stable after two round trips")
        } catch {
            Fuzz.expect(false, "a decoded \(name) fails to round-trip: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventsInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzEvents.test(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzEventsInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfAsked(EventSeeds.all)
    return 0
}
