import BalmerBus
import BalmerCore
import BalmerService
import BalmerStore
import Foundation
import FuzzSupport
import Synchronization

/// Fuzzes the path from a Kafka message to PostgreSQL: each input is split into a message key and
/// value, decoded as balmerd's door does (``IngestRecords``), and the rows it makes (a spectrum
/// with its score and a refused-file reject, or the reject of an undecodable message, on the
/// spectra and on the labels topic) are written with `storeIngestBatch` into a throw-away
/// PostgreSQL as the writer role of `balmer db grant`. The invariant: whatever the door lets
/// through, the database stores; no input can make a batch fail for good (the failure mode that
/// stopped a partition before). A transient error (none is expected here) is retried.
///
/// Input layout: byte 0 is the key length (255: no key), then the key, then the value. The
/// value's last 64 bytes also stand in for a FITS header's designation.
@main
enum FuzzStore {
    static func main() { Fuzz.run(fuzzStoreInput) }

    final class Context: Sendable {
        let store: PostgresStore
        let modelVersion: Int
        let offset = Atomic<Int64>(0)

        init(store: PostgresStore, modelVersion: Int) {
            self.store = store
            self.modelVersion = modelVersion
        }
    }

    nonisolated(unsafe) static var context: Context?

    static let writer = "balmer_writer_fuzz"

    /// Migrates a schema of its own as the superuser of BALMER_DATABASE_URL, grants the writer and
    /// registers a model (scores refer to it); the writes then go through the writer.
    static func setUp() throws -> Context {
        guard let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"], !url.isEmpty,
              var writerURL = URLComponents(string: url) else {
            throw Failure("BALMER_DATABASE_URL is not set: run the store fuzzer through ops/fuzz (it starts PostgreSQL)")
        }
        writerURL.user = writer
        writerURL.password = nil
        let schema = "fuzz_store_\(getpid())"
        let writerString = writerURL.string!
        return try blocking {
            let owner = PostgresStore(configuration: PostgresConfiguration(url: url, schema: schema), maxConnections: 1)
            try await owner.migrate()
            let c = try await PostgresConnection.connect(PostgresConfiguration(url: url, schema: schema))
            try await RoleGrant(writer: writer, reader: "balmer_reader_fuzz").apply(c)
            let version = try await owner.registerTrainedModel(
                parent: nil, createdAt: Date(), trainingCounts: [:], metricsJSON: "{}", sha256: String(repeating: "0", count: 64),
                weights: Data([0]), kind: .initial, iteration: 0, oracleLabels: 0)
            await owner.pool.close()
            let store = PostgresStore(configuration: PostgresConfiguration(url: writerString, schema: schema), maxConnections: 1)
            return Context(store: store, modelVersion: version)
        }
    }

    static func test(_ bytes: [UInt8]) {
        guard let context else { return }
        let keyLength = Int(bytes.first ?? 255)
        let rest = bytes.dropFirst()
        let key: [UInt8]? = keyLength == 255 ? nil : Array(rest.prefix(keyLength))
        let value = Array(rest.dropFirst(key?.count ?? 0))
        let offset = context.offset.add(1, ordering: .relaxed).newValue
        let spectrumMessage = KafkaMessage(topic: BalmerTopic.spectra, partition: 0, offset: offset, key: key, value: value)
        let labelMessage = KafkaMessage(topic: BalmerTopic.labels, partition: 0, offset: offset, key: key, value: value)

        var batch = IngestBatch(spectra: [], probabilities: [], modelVersion: context.modelVersion, rejects: [])
        do {
            let event = try spectrumMessage.decode(SpectrumEvent.self)
            let header = SpectrumMetadata(designation: String(decoding: value.suffix(64), as: UTF8.self))
            let features = (0..<SpectrumRecord.featureCount).map { Float(value[$0 % max(1, value.count)]) / 255 }
            batch.spectra.append(IngestRecords.spectrum(event, metadata: header, features: features))
            batch.probabilities.append([0.2, 0.3, 0.5])
            let refused = IngestRecords.refusedFile(spectrumMessage, event: event, code: "not-fits",
                                                    reason: "the bytes are not a FITS file", source: "ingest")
            batch.rejects.append(refused.0)
            Fuzz.expect((try? EventCodec.encode(refused.1)) != nil, "the dead letter of a refused file does not encode")
        } catch {
            let (reject, letter) = IngestRecords.undecodable(spectrumMessage, error: error)
            batch.rejects.append(reject)
            Fuzz.expect((try? EventCodec.encode(letter)) != nil, "the dead letter of an undecodable event does not encode")
        }
        do { _ = try labelMessage.decode(LabelEvent.self) } catch {
            batch.rejects.append(RejectRecord(message: labelMessage, reason: error.code))
        }
        let written = batch
        let outcome = blockingResult {
            var attempts = 0
            while true {
                do { return try await context.store.storeIngestBatch(written).count } catch {
                    attempts += 1
                    guard StoreErrorClass.of(error) == .transient, attempts < 5 else { throw error }
                    try await Task.sleep(for: .milliseconds(100 * attempts))
                }
            }
        }
        switch outcome {
        case .success(let ids): Fuzz.expect(ids == batch.spectra.count, "\(batch.spectra.count) spectra stored as \(ids) ids")
        case .failure(let error): Fuzz.expect(false, "the database refused what the door let through: \(error)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs `body` on the cooperative pool and waits for it (libFuzzer calls in synchronously).
    static func blockingResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        try blockingResult(body).get()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoreInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzStore.test(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzStoreInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                                _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfAsked(StoreSeeds.all)
    do {
        FuzzStore.context = try FuzzStore.setUp()
    } catch {
        FileHandle.standardError.write(Data("balmer-fuzz: store: cannot set up: \(error)\n".utf8))
        exit(1)
    }
    return 0
}
