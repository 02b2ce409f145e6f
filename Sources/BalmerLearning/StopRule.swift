/// The paper's stop rule: the campaign converges when the precision estimate has reached the
/// threshold for the k-th time (not necessarily in a row).
public struct StopRule: Sendable, Codable, Equatable {
    /// Default 0.8.
    public var threshold: Double
    /// Default 3.
    public var times: Int

    public init(threshold: Double = 0.8, times: Int = 3) {
        self.threshold = threshold
        self.times = times
    }

    /// How many estimates so far reached the threshold.
    public func hits(_ estimates: [Double]) -> Int {
        estimates.filter { $0 >= threshold }.count
    }

    public func converged(_ estimates: [Double]) -> Bool {
        hits(estimates) >= times
    }
}
