import Foundation

/// Thread-count defaults for the engine.
public enum ComputeThreads {
    /// All active processors (at least 1): the default for ``Predictor`` and ``Trainer``.
    public static var `default`: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
