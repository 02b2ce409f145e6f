import BalmerCore
import Foundation
import Logging

/// The store benchmark: bulk insert of spectra + scores through binary COPY, then a streaming
/// read of the feature vectors (the rescoring path). Writes into the configured schema
/// (migrating it first) under survey `bench`, with keys unique to the run, so repeated runs add rows;
/// registers and activates a bench model when no model is active, so candidates exist afterwards.
public enum StoreBenchmark {
    /// One figure: `{"bench":"store","metric":…,"value":…,"unit":…}`.
    public struct Measurement: Sendable, Codable {
        public var bench = "store"
        public var metric: String
        public var value: Double
        public var unit: String
    }

    /// Runs the benchmark with `rows` spectra (default 200 000) in batches of `batchSize`
    /// (default 20 000), written by `writers` concurrent connections (default 2, like two
    /// ingest workers), then streams every vector back on one connection.
    public static func run(
        configuration: PostgresConfiguration, rows: Int = 200_000, batchSize: Int = 20_000, writers: Int = 2,
        logger: Logger = Logger(label: "balmer.bench")
    ) async throws -> [Measurement] {
        let writers = max(1, writers)
        let store = PostgresStore(configuration: configuration, maxConnections: writers, logger: logger)
        try await store.migrate()
        let model = try await benchModel(store)
        let run = String(UUID().uuidString.prefix(8).lowercased())
        let batches = stride(from: 0, to: rows, by: max(batchSize, 1)).map { $0..<min($0 + batchSize, rows) }
        // Warm the pool so connection set-up is not timed.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers { group.addTask { try await store.pool.withConnection { _ in try await Task.sleep(for: .milliseconds(20)) } } }
            try await group.waitForAll()
        }

        // Data generation is not timed: every batch is built before the clock starts.
        let data = batches.map { makeBatch($0, run: run) }
        let insertStart = ContinuousClock.now
        let bounds = try await withThrowingTaskGroup(of: (Int64, Int64).self) { group in
            for w in 0..<writers {
                group.addTask {
                    var lo = Int64.max, hi = Int64.min
                    for b in stride(from: w, to: data.count, by: writers) {
                        let (spectra, probabilities) = data[b]
                        let ids = try await store.upsertSpectra(spectra)
                        try await store.upsertScores(zip(ids, probabilities).map {
                            ScoreRecord(spectrumID: $0.0, modelVersion: model, probabilities: $0.1)
                        })
                        lo = min(lo, ids.min() ?? lo)
                        hi = max(hi, ids.max() ?? hi)
                    }
                    return (lo, hi)
                }
            }
            var all: [(Int64, Int64)] = []
            for try await r in group { all.append(r) }
            return all
        }
        let insertSeconds = (ContinuousClock.now - insertStart).seconds
        let firstID = bounds.map(\.0).min() ?? 0
        let lastID = bounds.map(\.1).max() ?? 0

        let count = Counter()
        let readStart = ContinuousClock.now
        try await store.forEachFeatureBatch(ids: firstID...lastID, batchSize: 4096) { batch in
            await count.add(batch.count)
        }
        let readSeconds = (ContinuousClock.now - readStart).seconds
        let read = await count.value
        await store.pool.close()
        guard read == rows else {
            throw PostgresError(.usage, message: "streamed \(read) vectors, expected \(rows)")
        }
        return [
            Measurement(metric: "copy_insert_rows_per_s", value: Double(2 * rows) / insertSeconds, unit: "rows/s"),
            Measurement(metric: "copy_insert_spectra_per_s", value: Double(rows) / insertSeconds, unit: "spectra/s"),
            Measurement(metric: "stream_read_vectors_per_s", value: Double(read) / readSeconds, unit: "vectors/s"),
            Measurement(metric: "rows", value: Double(rows), unit: "spectra"),
            Measurement(metric: "writers", value: Double(writers), unit: "connections"),
            Measurement(metric: "insert_seconds", value: insertSeconds, unit: "s"),
            Measurement(metric: "read_seconds", value: readSeconds, unit: "s"),
        ]
    }

    /// Deterministic spectra and probabilities for the rows in `range`.
    private static func makeBatch(_ range: Range<Int>, run: String) -> ([SpectrumRecord], [[Float]]) {
        var generator = SplitMix64(seed: UInt64(range.lowerBound) &* 0x9E37_79B9 &+ 17)
        let spectra = range.map { k -> SpectrumRecord in
            SpectrumRecord(
                key: SpectrumKey(survey: "bench", release: "run-\(run)", key: String(k)),
                ra: generator.unit() * 360, dec: generator.unit() * 180 - 90, mjd: 57000 + generator.unit() * 3000,
                designation: "BENCH J\(k)", location: "/bench/\(run)/\(k).fits",
                features: (0..<SpectrumRecord.featureCount).map { _ in Float(generator.unit() * 2 - 1) })
        }
        let probabilities = range.map { _ -> [Float] in
            let a = Float(generator.unit()), b = Float(generator.unit()) * (1 - a)
            return [a, b, 1 - a - b]
        }
        return (spectra, probabilities)
    }

    /// The active model's version, or a newly registered and activated bench model.
    private static func benchModel(_ store: PostgresStore) async throws -> Int {
        if let active = try await store.activeModel() { return active.version }
        let version = (try await store.models().map(\.version).max() ?? 0) + 1
        try await store.registerModel(
            ModelRecord(version: version, metricsJSON: #"{"bench": true}"#, sha256: String(repeating: "0", count: 64)),
            weights: Data())
        try await store.activateModel(version: version)
        return version
    }

    /// The human-readable table followed by one JSON object per line.
    public static func report(_ measurements: [Measurement]) -> String {
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? fill + s : s + fill
        }
        var out = pad("metric", 28) + pad("value", 14, left: true) + "  unit\n"
        for m in measurements {
            out += pad(m.metric, 28) + pad(String(format: "%.1f", m.value), 14, left: true) + "  " + m.unit + "\n"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for m in measurements {
            out += String(decoding: (try? encoder.encode(m)) ?? Data(), as: UTF8.self) + "\n"
        }
        return out
    }

    private actor Counter {
        var value = 0
        func add(_ n: Int) { value += n }
    }
}

/// A tiny deterministic generator for benchmark data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
