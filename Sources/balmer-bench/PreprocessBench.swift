import ArgumentParser
import BalmerCore
import BalmerFITS
import Foundation

/// `balmer-bench preprocess`: reading + preprocessing gzipped LAMOST files on all cores, next to
/// what cfitsio alone needs to open and read the same files.
struct PreprocessBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Spectra/s for reading and preprocessing gzipped LAMOST DR9 files, against cfitsio's bare read.")

    @Option(help: "Files to process per round.")
    var files = 4000

    @Option(help: "Worker threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Rounds; the best round counts.")
    var rounds = 3

    @Option(help: "Folder of .fits.gz LAMOST files to replicate (default: ../shared/data/real/lamost-dr9, else synthetic).")
    var source: String?

    func run() throws {
        let directory = NSTemporaryDirectory() + "balmer-bench-preprocess-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (paths, origin) = try prepare(in: directory)
        FileHandle.standardError.write(Data("preprocess: \(paths.count) files from \(origin), \(threads) threads\n".utf8))

        let extractor = FeatureExtractor(config: .survey)
        var bestExtract = 0.0
        var bestRead = 0.0
        var cpuExtract = Double.infinity
        var cpuRead = Double.infinity
        var rejected = 0
        for _ in 0..<rounds {
            var start = monotonicSeconds()
            var cpu = processCPUSeconds()
            let results = extractor.extract(paths: paths, threads: threads, keepSpectra: false)
            bestExtract = max(bestExtract, Double(paths.count) / (monotonicSeconds() - start))
            cpuExtract = min(cpuExtract, (processCPUSeconds() - cpu) / Double(paths.count))
            rejected = results.filter { if case .failure = $0.features { true } else { false } }.count
            start = monotonicSeconds()
            cpu = processCPUSeconds()
            try bareRead(paths)
            bestRead = max(bestRead, Double(paths.count) / (monotonicSeconds() - start))
            cpuRead = min(cpuRead, (processCPUSeconds() - cpu) / Double(paths.count))
        }
        guard rejected == 0 else { throw ValidationError("\(rejected) benchmark files were rejected") }
        var report = BenchReport()
        report.add("preprocess", "read_preprocess_gz_lamost", bestExtract, "spectra/s")
        report.add("preprocess", "cfitsio_bare_read_gz_lamost", bestRead, "files/s")
        report.add("preprocess", "fraction_of_cfitsio", bestExtract / bestRead, "ratio")
        report.add("preprocess", "cpu_per_spectrum_read_preprocess", cpuExtract * 1e6, "µs")
        report.add("preprocess", "cpu_per_file_cfitsio_bare_read", cpuRead * 1e6, "µs")
        report.add("preprocess", "threads", Double(threads), "threads")
        report.print()
    }

    /// Replicates real (or synthetic) gzipped LAMOST files into `directory`.
    private func prepare(in directory: String) throws -> ([String], String) {
        let realDefault = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/real/lamost-dr9").path
        let folder = source ?? realDefault
        var seeds = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".fits.gz") }.sorted().map { folder + "/" + $0 }
        var origin = folder
        if seeds.isEmpty {
            origin = "synthetic spectra"
            seeds = try (0..<8).map { i in
                let path = directory + "/seed-\(i).fits.gz"
                try SpectrumFileWriter().write(syntheticSpectrum(i), as: .lamostDR9, to: path)
                return path
            }
        }
        let paths = try (0..<files).map { i -> String in
            let path = directory + "/spec-\(i).fits.gz"
            try FileManager.default.copyItem(atPath: seeds[i % seeds.count], toPath: path)
            return path
        }
        return (paths, origin)
    }

    private func syntheticSpectrum(_ seed: Int) -> Spectrum {
        var state = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
        let wave = (0..<3909).map { pow(10, 3.5682 + 1e-4 * Double($0)) }
        let flux = wave.map { lambda -> Double in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(state >> 11) / Double(1 << 53) - 0.5
            return 1000 + 0.05 * lambda + 20 * noise - 300 * exp(-0.5 * pow((lambda - 6564.61) / 5, 2))
        }
        return Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: wave, flux: flux,
                        inverseVariance: Array(repeating: 1, count: 3909))
    }

    /// Opens each file and reads its FLUX, IVAR and WAVELENGTH columns with cfitsio, nothing else.
    private func bareRead(_ paths: [String]) throws {
        let failures = BareReader.readAll(paths, threads: threads)
        guard failures == 0 else { throw ValidationError("\(failures) files failed the bare read") }
    }
}
