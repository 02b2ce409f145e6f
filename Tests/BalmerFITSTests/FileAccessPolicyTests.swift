import BalmerCore
import BalmerTestSupport
import Foundation
import Testing
@testable import BalmerFITS

/// The path policy (data roots, symlinks, `..`, special files), the size caps checked before any
/// large allocation, and which failures count as transient.
@Suite struct FileAccessPolicyTests {
    /// A folder with `root/` (the data root, one good file) and `outside/` (one good file).
    struct Layout {
        let base: String
        var root: String { base + "/root" }
        var outside: String { base + "/outside" }
        var good: String { root + "/good.fits.gz" }
        var stranger: String { outside + "/stranger.fits.gz" }
    }

    func layout() throws -> Layout {
        let layout = Layout(base: try temporaryDirectory())
        try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.outside, withIntermediateDirectories: true)
        let spectrum = LayoutRoundTripTests.spectrum(for: .lamostDR9)
        try SpectrumFileWriter().write(spectrum, as: .lamostDR9, to: layout.good)
        try SpectrumFileWriter().write(spectrum, as: .lamostDR9, to: layout.stranger)
        return layout
    }

    func failure(_ path: String, _ policy: FileAccessPolicy) -> FITSError? {
        do {
            _ = try SpectrumFileReader(policy: policy).read(path: path)
            return nil
        } catch let error as FITSError {
            return error
        } catch {
            return FITSError(.cfitsio, "unexpected \(error)")
        }
    }

    @Test func rootsAreResolvedAndEnforced() throws {
        let layout = try layout()
        defer { try? FileManager.default.removeItem(atPath: layout.base) }
        // The root given through a symlink and with `..` still resolves to the real folder.
        try FileManager.default.createSymbolicLink(atPath: layout.base + "/link-to-root", withDestinationPath: layout.root)
        let policy = try FileAccessPolicy.resolving(roots: [layout.base + "/link-to-root", layout.outside + "/../root"])
        #expect(policy.roots == [FileAccessPolicy.resolve(layout.root)!])

        #expect(failure(layout.good, policy) == nil)
        #expect(failure(layout.stranger, policy)?.kind == .outsideDataRoots)
        #expect(failure(layout.root + "/../outside/stranger.fits.gz", policy)?.kind == .outsideDataRoots)
        // A symlink inside the root pointing out of it, and one pointing within it.
        try FileManager.default.createSymbolicLink(atPath: layout.root + "/escape.fits.gz", withDestinationPath: layout.stranger)
        try FileManager.default.createSymbolicLink(atPath: layout.root + "/alias.fits.gz", withDestinationPath: layout.good)
        #expect(failure(layout.root + "/escape.fits.gz", policy)?.kind == .outsideDataRoots)
        #expect(failure(layout.root + "/alias.fits.gz", policy) == nil)
        #expect(failure("/etc/passwd", policy)?.kind == .outsideDataRoots)
        #expect(failure("/proc/self/status", policy)?.kind == .outsideDataRoots)
        // A folder whose name merely starts like the root's is not inside it.
        let sibling = layout.root + "-sibling"
        try FileManager.default.createDirectory(atPath: sibling, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: layout.good, toPath: sibling + "/good.fits.gz")
        #expect(failure(sibling + "/good.fits.gz", policy)?.kind == .outsideDataRoots)
        // Without roots, everything readable is accepted (and then judged as FITS).
        #expect(failure(layout.stranger, .unrestricted) == nil)
        #expect(failure("/etc/passwd", .unrestricted)?.kind == .notFITS)
    }

    @Test func permitsIsAPrefixCheckOnWholeComponents() {
        let policy = FileAccessPolicy(resolvedRoots: ["/srv/spectra", "/data"])
        #expect(policy.permits(resolved: "/srv/spectra"))
        #expect(policy.permits(resolved: "/srv/spectra/dr9/a.fits.gz"))
        #expect(policy.permits(resolved: "/data/x"))
        #expect(!policy.permits(resolved: "/srv/spectra2/a.fits"))
        #expect(!policy.permits(resolved: "/srv"))
        #expect(!policy.permits(resolved: "/etc/passwd"))
        #expect(FileAccessPolicy(resolvedRoots: ["/"]).permits(resolved: "/anything"))
        #expect(FileAccessPolicy.unrestricted.permits(resolved: "/proc/self/status"))
    }

    @Test func rootsThatDoNotResolveAreAConfigurationError() throws {
        #expect(throws: FileAccessError.self) { try FileAccessPolicy.resolving(roots: ["/nonexistent/balmer-\(UUID())"]) }
        #expect(throws: FileAccessError.self) { try FileAccessPolicy.resolving(roots: ["/etc/passwd"]) }
    }

    @Test func specialFilesAreRefusedWithoutBlocking() throws {
        let layout = try layout()
        defer { try? FileManager.default.removeItem(atPath: layout.base) }
        let fifo = layout.root + "/pipe.fits.gz"
        #expect(mkfifo(fifo, 0o644) == 0)
        let policy = try FileAccessPolicy.resolving(roots: [layout.root])
        let started = ContinuousClock.now
        // No writer ever opens the FIFO: a blocking open would hang here forever.
        #expect(failure(fifo, policy)?.kind == .notRegularFile)
        #expect(failure(fifo, .unrestricted)?.kind == .notRegularFile)
        #expect(failure(layout.root, policy)?.kind == .notRegularFile)
        #expect(failure("/dev/null", .unrestricted)?.kind == .notRegularFile)
        #expect(failure("/dev/zero", .unrestricted)?.kind == .notRegularFile)
        // A symlink (inside the root) to the FIFO resolves to it and is refused the same way.
        try FileManager.default.createSymbolicLink(atPath: layout.root + "/to-pipe.fits", withDestinationPath: fifo)
        #expect(failure(layout.root + "/to-pipe.fits", policy)?.kind == .notRegularFile)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func sizeCapsAreCheckedBeforeReading() throws {
        let layout = try layout()
        defer { try? FileManager.default.removeItem(atPath: layout.base) }
        // A sparse 300 MB file: refused from fstat alone.
        let big = layout.root + "/big.fits"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, 300 << 20) == 0)
        let small = FileAccessPolicy(resolvedRoots: [], maxFileBytes: 1 << 20, maxInflatedBytes: 4 << 20)
        #expect(failure(big, small)?.kind == .tooLarge)
        #expect(failure(big, .unrestricted)?.kind == .tooLarge)
        #expect(failure(layout.good, small) == nil)

        // A gzip bomb: a FITS header followed by 40 MB of zeros, gzipped to a few tens of kB.
        let plain = layout.base + "/bomb.fits"
        let header = Array("SIMPLE  =                    T".padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)
        #expect(FileManager.default.createFile(atPath: plain, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: plain))
        try handle.write(contentsOf: Data(header))
        for _ in 0..<40 { try handle.write(contentsOf: Data(count: 1 << 20)) }
        try handle.close()
        let gzip = try CommandRunner.run("/usr/bin/gzip", ["-9", "-f", plain])
        #expect(gzip.status == 0, "\(gzip.stderr)")
        let bomb = plain + ".gz"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int)
        #expect(size < 1 << 20)
        #expect(failure(bomb, small)?.kind == .tooLarge)
        let capped = FileAccessPolicy(resolvedRoots: [], maxFileBytes: 1 << 20, maxInflatedBytes: 40 << 20)
        // Under a cap it fits, it inflates and is then judged as FITS (no spectrum in it).
        let judged = failure(bomb, FileAccessPolicy(resolvedRoots: [], maxFileBytes: 1 << 20, maxInflatedBytes: 41 << 20))
        #expect(judged != nil && judged?.kind != .tooLarge, "\(String(describing: judged))")
        #expect(failure(bomb, capped)?.kind == .tooLarge)
    }

    @Test func inflateReportsTooLargeOnlyForStreamsBeyondTheLimit() throws {
        let layout = try layout()
        defer { try? FileManager.default.removeItem(atPath: layout.base) }
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: layout.good)))
        let inflated = gz.withUnsafeBytes { raw -> Int? in
            let copy = UnsafeMutableRawPointer(mutating: raw.baseAddress!)
            if case .inflated(let buffer, let length) = FITSFile.inflate(copy, count: gz.count, limit: 64 << 20) {
                free(buffer)
                return length
            }
            return nil
        }
        let length = try #require(inflated)
        func outcome(_ bytes: [UInt8], limit: Int) -> String {
            bytes.withUnsafeBytes { raw in
                switch FITSFile.inflate(UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: bytes.count, limit: limit) {
                case .inflated(let buffer, _): free(buffer); return "inflated"
                case .tooLarge: return "too-large"
                case .corrupt: return "corrupt"
                }
            }
        }
        #expect(outcome(gz, limit: length) == "inflated")
        #expect(outcome(gz, limit: length - 1) == "too-large")
        #expect(outcome(Array(gz.prefix(gz.count / 2)), limit: 64 << 20) == "corrupt")
        #expect(outcome(Array(gz.prefix(gz.count / 2)), limit: 2880) == "too-large" || length / 2 < 2880)
    }

    @Test func errnosAreClassified() {
        for code in [EIO, ESTALE, EAGAIN, EINTR, EACCES, EPERM] {
            let error = SpectrumFileAccess.error(code, "open")
            #expect(error.kind == .unreadableTransient, "errno \(code)")
            #expect(error.isTransient)
        }
        #expect(SpectrumFileAccess.error(ENOENT, "open").kind == .missing)
        #expect(SpectrumFileAccess.error(ENOENT, "open").isTransient)
        #expect(SpectrumFileAccess.error(ELOOP, "open").kind == .notRegularFile)
        for code in [ENOTDIR, ENAMETOOLONG, EISDIR, EINVAL] {
            #expect(!SpectrumFileAccess.error(code, "open").isTransient, "errno \(code)")
        }
        for kind in [FITSError.Kind.notFITS, .truncated, .badHeader, .unknownLayout, .missingKeyword, .cfitsio,
                     .outsideDataRoots, .notRegularFile, .tooLarge, .cannotOpen] {
            #expect(!kind.isTransient, "\(kind)")
        }
        #expect(ExtractionFailure.unreadable(FITSError(.missing, "x")).isTransient)
        #expect(!ExtractionFailure.unreadable(FITSError(.truncated, "x")).isTransient)
    }

    /// Every real survey file reads under a policy rooted at its folder with the default caps,
    /// and none under a root elsewhere.
    @Test(.enabled(if: RealData.available, "../shared/data/real is absent: skipped"))
    func realFilesReadUnderTheirRootAndTheDefaultCaps() throws {
        let files = RealData.files
        #expect(files.count >= 24)
        let policy = try FileAccessPolicy.resolving(roots: [try #require(RealData.directory)])
        #expect(policy.maxFileBytes == 64 << 20 && policy.maxInflatedBytes == 64 << 20)
        let elsewhere = try FileAccessPolicy.resolving(roots: ["/usr"])
        for path in files {
            #expect(failure(path, policy) == nil, "\(path)")
            #expect(failure(path, elsewhere)?.kind == .outsideDataRoots, "\(path)")
        }
    }

    @Test func missingFilesAreTransient() throws {
        let layout = try layout()
        defer { try? FileManager.default.removeItem(atPath: layout.base) }
        let policy = try FileAccessPolicy.resolving(roots: [layout.root])
        let error = failure(layout.root + "/not-yet.fits.gz", policy)
        #expect(error?.kind == .missing)
        #expect(error?.isTransient == true)
    }
}
