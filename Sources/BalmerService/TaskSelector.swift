import BalmerBus
import BalmerCore
import BalmerFITS
import BalmerLearning
import BalmerStore
import Foundation
import Logging

/// Chooses an iteration's labelling tasks and turns them into events a labeller can work from
/// without the database: the query batch (highest entropy under the model, at most
/// `maxPerPlate` per plate) and the precision sample (random predicted targets, seeded).
struct TaskSelector: Sendable {
    let store: PostgresStore
    let loop: DaemonConfiguration.Loop
    let preprocessing: PreprocessingConfig
    /// The ingest's file policy (`ingest.data-roots`, size caps), also for the files tasks show.
    var fileAccess: FileAccessPolicy = .unrestricted
    let logger: Logger

    /// Points of the downsampled full spectrum in a task.
    static let fullSpectrumPoints = 400

    /// The query batch under `model` for `iteration`.
    /// With `newerThan`, only spectra stored after that time.
    func queryBatch(model: Int, iteration: Int, batchID: String, now: Date, newerThan: Date? = nil) async throws -> [TaskRecord] {
        let pool = try await store.queryCandidates(modelVersion: model, limit: loop.batchSize * (loop.maxPerPlate > 0 ? 20 : 1),
                                                   ingestedAfter: newerThan)
        let scores = pool.map { Double($0.score.entropy) }
        var plates: [String: Int] = [:]
        var groups: [Int] = []
        for candidate in pool {
            let plate = Self.plate(of: candidate.location)
            if plates[plate] == nil { plates[plate] = plates.count }
            groups.append(plates[plate]!)
        }
        let chosen = TopKSelection.select(k: loop.batchSize, scores: scores, groups: loop.maxPerPlate > 0 ? groups : nil,
                                          maxPerGroup: loop.maxPerPlate > 0 ? loop.maxPerPlate : nil)
        return chosen.map { i in
            let s = pool[i].score
            return TaskRecord(id: "\(batchID)-\(s.spectrumID)", batchID: batchID, iteration: iteration, kind: .query,
                              spectrumID: s.spectrumID, modelVersion: model, probabilities: s.probabilities,
                              entropy: s.entropy, createdAt: now)
        }
    }

    /// The precision sample under `model` for `iteration`, excluding `taken` spectra.
    func precisionSample(model: Int, iteration: Int, batchID: String, excluding taken: Set<Int64>, now: Date) async throws -> [TaskRecord] {
        let targets = try await store.precisionCandidates(modelVersion: model).filter { !taken.contains($0.spectrumID) }
        var generator = SeededGenerator(seed: loop.seed, stream: 0x9AEC_0000 &+ UInt64(iteration))
        let picked = RandomSample.indices(loop.precisionSample, of: targets.count, generator: &generator)
        return picked.map { i in
            let s = targets[i]
            return TaskRecord(id: "\(batchID)-\(s.spectrumID)", batchID: batchID, iteration: iteration, kind: .precision,
                              spectrumID: s.spectrumID, modelVersion: model, probabilities: s.probabilities,
                              entropy: s.entropy, createdAt: now)
        }
    }

    /// The event for a stored task: scores, position, the model input window and a downsampled
    /// copy of the whole spectrum read from its file (the window alone when the file is gone).
    func event(for task: TaskRecord) async throws -> TaskEvent {
        guard let spectrum = try await store.spectrum(id: task.spectrumID) else {
            throw RepositoryError.notFound("spectrum \(task.spectrumID) of task \(task.id)")
        }
        let window = [preprocessing.windowStart, preprocessing.windowEnd]
        var full = (flux: spectrum.features, range: window)
        var metadata: SpectrumMetadata?
        let path = IngestPipeline.path(of: spectrum.location)
        if let read = try? SpectrumFileReader(policy: fileAccess, logger: logger).read(path: path) {
            metadata = read.metadata
            if let compact = Self.downsample(wavelength: read.wavelength, flux: read.flux, points: Self.fullSpectrumPoints) {
                full = compact
            }
        }
        var probabilities: [String: Double] = [:]
        for (cls, p) in zip(SpectrumClass.allCases, task.probabilities) { probabilities[cls.rawValue] = Double(p) }
        return TaskEvent(
            taskID: task.id, batchID: task.batchID, iteration: task.iteration,
            kind: task.kind == .query ? .query : .precision, spectrumID: String(task.spectrumID),
            modelVersion: String(task.modelVersion), probabilities: probabilities, entropy: Double(task.entropy),
            ra: spectrum.ra, dec: spectrum.dec, location: spectrum.location,
            spectrum: TaskEvent.CompactSpectrum(halphaFlux: spectrum.features, halphaRange: window,
                                                fullFlux: full.flux, fullRange: full.range),
            survey: spectrum.key.survey, release: spectrum.key.release, surveyKey: spectrum.key.key,
            // (A FITS header's designation never passed the event door: control characters escaped.)
            designation: (spectrum.designation ?? metadata?.designation).map { RejectKey.printableText($0, maxBytes: 1024) },
            mjd: spectrum.mjd ?? metadata?.mjd,
            snr: metadata?.snr.flatMap { $0.isFinite ? $0 : nil })
    }

    /// Mean flux in `points` equal wavelength bins over the finite samples; `nil` if too few.
    static func downsample(wavelength: [Double], flux: [Double], points: Int) -> (flux: [Float], range: [Double])? {
        let good = wavelength.indices.filter { wavelength[$0].isFinite && flux[$0].isFinite }
        guard good.count >= 2, let lo = good.map({ wavelength[$0] }).min(), let hi = good.map({ wavelength[$0] }).max(),
              hi > lo else { return nil }
        var sums = [Double](repeating: 0, count: points)
        var counts = [Int](repeating: 0, count: points)
        for i in good {
            let bin = min(points - 1, Int((wavelength[i] - lo) / (hi - lo) * Double(points)))
            sums[bin] += flux[i]
            counts[bin] += 1
        }
        var out: [Float] = []
        var last: Float = 0
        for b in 0..<points {
            if counts[b] > 0 { last = Float(sums[b] / Double(counts[b])) }
            out.append(last.isFinite ? last : 0)
        }
        return (out, [lo, hi])
    }

    /// The plate a file belongs to, for the diversity guard: a LAMOST-style name
    /// `spec-MJD-PLAN_spSS-FFF` gives its `spec-MJD-PLAN` part; other files their directory.
    static func plate(of location: String) -> String {
        let path = IngestPipeline.path(of: location)
        let name = (path as NSString).lastPathComponent
        if let r = name.range(of: "_sp") { return String(name[..<r.lowerBound]) }
        return (path as NSString).deletingLastPathComponent
    }
}
