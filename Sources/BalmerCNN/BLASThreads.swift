internal import COpenBLAS

/// OpenBLAS's own thread pool.
public enum BLASThreads {
    /// Sets how many threads OpenBLAS uses for one call.
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// How many threads OpenBLAS uses for one call.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
