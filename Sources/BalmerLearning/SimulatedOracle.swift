import BalmerCore

/// An oracle that answers from known truth, wrong with probability `errorRate` (then it names
/// one of the other classes at random). Answers are repeatable: the same spectrum always gets the
/// same answer for the same seed, however often or in whichever order it is asked.
public struct SimulatedOracle: Sendable {
    public let truth: [String: SpectrumClass]
    public let errorRate: Double
    public let seed: UInt64

    public init(truth: [String: SpectrumClass], errorRate: Double = 0, seed: UInt64 = 0) {
        precondition((0...1).contains(errorRate), "error rate must be in [0, 1]")
        self.truth = truth
        self.errorRate = errorRate
        self.seed = seed
    }

    /// The oracle's label for spectrum `id`, `nil` when it does not know the spectrum.
    public func label(_ id: String) -> SpectrumClass? {
        guard let correct = truth[id] else { return nil }
        guard errorRate > 0 else { return correct }
        var generator = SeededGenerator(seed: seed, stream: Self.stableHash(id))
        guard generator.unit() < errorRate else { return correct }
        let others = SpectrumClass.allCases.filter { $0 != correct }
        return others[Int(generator.next() % UInt64(others.count))]
    }

    /// FNV-1a of the UTF-8 bytes: stable across processes (unlike `Hasher`).
    public static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
