internal import CConvKernel
internal import COpenBLAS
import Foundation

/// Which of OpenBLAS's CPU kernels runs. OpenBLAS picks them when the library loads; version
/// 0.3.21 (Debian 12) does not know CPUs newer than its release (e.g. Emerald Rapids, model 207)
/// and falls back to its Prescott (SSE3) kernels, which run GEMMs 3–4× slower than its
/// SkylakeX kernels on the same CPU. ``selectFastKernels()`` fixes that for a whole program.
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

    /// Call first thing in `main`: when ``better`` names a faster kernel set and the user has
    /// not chosen one (`OPENBLAS_CORETYPE` unset), runs this program again in the same process
    /// (`execv` of its own executable, same pid, name and arguments) with `OPENBLAS_CORETYPE` set, since OpenBLAS reads it
    /// only when it loads. Returns when nothing needs doing or the exec failed (then the
    /// generic kernels are used, correct but slower).
    public static func selectFastKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = better else { return }
        // The program's real path, so that the process keeps its name (ps, journald), not "exe".
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv(path, CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
