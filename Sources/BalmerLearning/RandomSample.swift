import BalmerCore

/// Seeded sampling without replacement.
public enum RandomSample {
    /// `n` distinct indices of `0..<count` satisfying `eligible`, uniformly at random (all of them,
    /// in random order, when fewer qualify). Reservoir sampling: one pass, O(n) memory.
    public static func indices(
        _ n: Int, of count: Int, eligible: (Int) -> Bool = { _ in true }, generator: inout SeededGenerator
    ) -> [Int] {
        guard n > 0 else { return [] }
        var reservoir: [Int] = []
        reservoir.reserveCapacity(n)
        var seen = 0
        for i in 0..<count where eligible(i) {
            seen += 1
            if reservoir.count < n {
                reservoir.append(i)
            } else {
                let j = Int(generator.next() % UInt64(seen))
                if j < n { reservoir[j] = i }
            }
        }
        reservoir.shuffle(using: &generator)
        return reservoir
    }
}
