internal import CConvKernel
internal import COpenBLAS
import Foundation

/// How OpenBLAS runs, as far as it is fixed when the library loads: its CPU kernels and how long
/// its idle threads spin. ``selectFastKernels()`` chooses both for a whole program.
///
/// Kernels: version 0.3.21 (Debian 12) does not know CPUs newer than its release (e.g. Emerald
/// Rapids, model 207) and falls back to its Prescott (SSE3) kernels, which run GEMMs 3–4× slower
/// than its SkylakeX kernels on the same CPU.
///
/// Idle threads: after each threaded call OpenBLAS's threads spin for 2^n cycles before they sleep
/// (n from `OPENBLAS_THREAD_TIMEOUT`, clamped to 4…30; 28 by default, about 0.1 s). In a batch,
/// Balmer's own conv workers run between the dense layers' GEMMs, and a spinning OpenBLAS thread
/// takes a core from them; Balmer asks for the shortest spin.
public enum BLASCore {
    /// The kernel set OpenBLAS uses, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The kernel set to ask for instead of `name`, when OpenBLAS fell back to its generic
    /// Prescott kernels on a CPU with AVX2 or AVX-512; nil when its own choice stands.
    public static var better: String? {
        guard name == "Prescott" else { return nil }
        switch balmer_cpu_vector_level() {
        case 2: return "SkylakeX"
        case 1: return "Haswell"
        default: return nil
        }
    }

    /// The idle-spin exponent Balmer asks for when the user has not set one.
    public static let preferredThreadTimeout = 4

    /// The idle-spin exponent OpenBLAS uses in this process (its threads spin 2^n cycles), read
    /// from the environment as OpenBLAS reads it when it loads.
    public static var threadTimeout: Int {
        let value = (getenv("OPENBLAS_THREAD_TIMEOUT") ?? getenv("GOTO_THREAD_TIMEOUT")).map { Int(atoi($0)) } ?? 0
        return value > 0 ? min(max(value, 4), 30) : 28
    }

    /// The variables to set before OpenBLAS loads again so that it runs as ``selectFastKernels()``
    /// wants: `OPENBLAS_CORETYPE` when `better` names a kernel set and the user set none, and
    /// `OPENBLAS_THREAD_TIMEOUT` when the user set no timeout (under either of OpenBLAS's names).
    /// Empty when nothing needs changing.
    public static func environmentChanges(_ environment: [String: String], better: String?) -> [String: String] {
        var changes: [String: String] = [:]
        if environment["OPENBLAS_CORETYPE"] == nil, let better { changes["OPENBLAS_CORETYPE"] = better }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil, environment["GOTO_THREAD_TIMEOUT"] == nil {
            changes["OPENBLAS_THREAD_TIMEOUT"] = String(preferredThreadTimeout)
        }
        return changes
    }

    /// Call first thing in `main`: when ``environmentChanges(_:better:)`` asks for a change,
    /// runs this program again in the same process (`execv` of its own executable, same pid, name
    /// and arguments) with those variables set, since OpenBLAS reads them only when it loads.
    /// Returns when nothing needs doing or the exec failed (then OpenBLAS runs as it chose,
    /// correct but slower).
    public static func selectFastKernels() {
        let changes = environmentChanges(ProcessInfo.processInfo.environment, better: better)
        guard !changes.isEmpty else { return }
        // The program's real path, so that the process keeps its name (ps, journald), not "exe".
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return }
        for (name, value) in changes { setenv(name, value, 1) }
        execv(path, CommandLine.unsafeArgv)
        for name in changes.keys { unsetenv(name) }
    }

    /// One line for logs: threads, OpenBLAS's kernel set and idle spin, and what runs the
    /// convolutions.
    public static func computeSummary(threads: Int) -> String {
        "compute on \(threads) threads, OpenBLAS \(name) kernels (idle threads spin 2^\(threadTimeout) cycles), "
            + "forward convolutions on \(convolutions)"
    }
}
