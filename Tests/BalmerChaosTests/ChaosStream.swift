import BalmerCore
import BalmerBus
import Foundation

/// The messages of one scenario and what must come of them. Event `k` has spectrum id
/// `<prefix>-k` and points at file `k mod files.count` (so 100 000 events need only a few hundred
/// files); every 50th points at a missing file, and one message is not JSON: those must be rejected.
/// With duplicates, every other event is published twice (half of the copies under another key,
/// so on another partition and possibly another instance) and all messages are shuffled.
struct ChaosStream: Sendable {
    struct Message: Sendable {
        var key: [UInt8]
        var value: [UInt8]

        init(key: String, value: [UInt8]) {
            self.key = Array(key.utf8)
            self.value = value
        }

        init(rawKey: [UInt8], value: [UInt8]) {
            key = rawKey
            self.value = value
        }
    }

    /// Messages mixed into a stream, with what must come of them.
    struct Additions: Sendable {
        var messages: [Message] = []
        /// Spectrum ids among them that must be stored.
        var stored: Set<String> = []
        /// `rejects.key` values among them that must be rejected.
        var rejected: Set<String> = []
    }

    /// In publish order.
    let messages: [Message]
    /// Spectrum ids that must be stored once each.
    let storedIDs: Set<String>
    /// Reject keys (spectrum id, or the message key of the malformed one) that must be rejected.
    let rejectedKeys: Set<String>

    /// `additions` are spread evenly through the stream (before any shuffle).
    init(prefix: String, count: Int, files: [String], missingDirectory: String, duplicates: Bool, seed: UInt64,
         additions: Additions = Additions()) throws {
        var messages: [Message] = []
        var stored = Set<String>()
        var rejected = Set<String>()
        var random = SeededGenerator(seed: seed)
        for k in 0..<(count - 1) {
            let id = "\(prefix)-\(k)"
            let poison = k % 50 == 49
            let location = poison ? "\(missingDirectory)/missing-\(k).fits.gz" : files[k % files.count]
            let event = SpectrumEvent(spectrumID: id, survey: "LAMOST", release: "DR9", location: location)
            let value = try EventCodec.encode(event)
            if poison { rejected.insert(id) } else { stored.insert(id) }
            messages.append(Message(key: id, value: value))
            if duplicates && k % 2 == 0 {
                messages.append(Message(key: k % 4 == 0 ? id : "dup-\(id)", value: value))
            }
        }
        let malformed = "\(prefix)-malformed"
        messages.append(Message(key: malformed, value: Array("{\"schema\":1,\"spectrum_id\":".utf8)))
        rejected.insert(malformed)
        for (i, message) in additions.messages.enumerated().reversed() {
            messages.insert(message, at: (i + 1) * messages.count / (additions.messages.count + 1))
        }
        stored.formUnion(additions.stored)
        rejected.formUnion(additions.rejected)
        if duplicates { messages.shuffle(using: &random) }
        self.messages = messages
        storedIDs = stored
        rejectedKeys = rejected
    }

    /// Publishes `messages[range]` and waits until the broker acknowledged each.
    func publish(_ range: Range<Int>, producer: KafkaProducer) async throws {
        let chunk = 500
        for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
            let slice = messages[start..<min(start + chunk, range.upperBound)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for message in slice {
                    group.addTask {
                        _ = try await producer.send(topic: BalmerTopic.spectra, key: message.key, value: message.value)
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
