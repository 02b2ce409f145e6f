import BalmerCore
import Foundation

/// SMOTE (Chawla et al. 2002): oversamples minority classes to the majority count with synthetic
/// points on segments between a sample and one of its k nearest same-class neighbours.
public struct SMOTE: Sendable {
    /// Neighbours per sample (default 5). Classes with ≤ k samples use all their other samples;
    /// a class with one sample is duplicated; an empty class stays empty.
    public var k: Int
    public var seed: UInt64
    /// Threads for the neighbour search.
    public var threads: Int

    public init(k: Int = 5, seed: UInt64 = 0, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.k = k
        self.seed = seed
        self.threads = threads
    }

    /// A labelled set of row-major feature vectors.
    public struct Dataset: Sendable, Equatable {
        /// `count × dimension` values, row-major.
        public var features: [Float]
        /// Class index per row.
        public var labels: [Int]
        public var dimension: Int
        public var count: Int { labels.count }

        public init(features: [Float], labels: [Int], dimension: Int) {
            precondition(features.count == labels.count * dimension, "features must be labels.count × dimension")
            self.features = features
            self.labels = labels
            self.dimension = dimension
        }
    }

    /// The input followed by the synthetic rows, every class (present in the input) as large
    /// as the largest one.
    public func balance(_ data: Dataset) -> Dataset {
        let d = data.dimension
        let byClass = Dictionary(grouping: data.labels.indices, by: { data.labels[$0] })
        guard let majority = byClass.values.map(\.count).max() else { return data }
        var result = data
        for label in byClass.keys.sorted() {
            let members = byClass[label]!
            let needed = majority - members.count
            guard needed > 0 else { continue }
            var generator = SeededGenerator(seed: seed, stream: UInt64(label))
            let rows = members.map { Array(data.features[($0 * d)..<($0 * d + d)]) }
            let neighbours = nearestNeighbours(rows, k: min(k, rows.count - 1))
            result.features.reserveCapacity(result.features.count + needed * d)
            for _ in 0..<needed {
                let base = Int(generator.next() % UInt64(rows.count))
                let choices = neighbours[base]
                guard !choices.isEmpty else {
                    result.features += rows[base]  // a lone sample: duplicate it
                    result.labels.append(label)
                    continue
                }
                let other = rows[choices[Int(generator.next() % UInt64(choices.count))]]
                let gap = Float(generator.unit())
                for j in 0..<d { result.features.append(rows[base][j] + gap * (other[j] - rows[base][j])) }
                result.labels.append(label)
            }
        }
        return result
    }

    /// For each row, the indices of its `k` nearest other rows (squared Euclidean distance,
    /// ties broken by index), nearest first. Brute force, rows spread over threads.
    func nearestNeighbours(_ rows: [[Float]], k: Int) -> [[Int]] {
        guard k > 0 else { return Array(repeating: [], count: rows.count) }
        return Parallel.map(count: rows.count, threads: threads) { i in
            var best: [(distance: Float, index: Int)] = []
            best.reserveCapacity(k + 1)
            let a = rows[i]
            for j in rows.indices where j != i {
                let distance = Self.squaredDistance(a, rows[j])
                if best.count == k, let worst = best.last, (distance, j) >= (worst.distance, worst.index) { continue }
                let position = best.firstIndex { ($0.distance, $0.index) > (distance, j) } ?? best.count
                best.insert((distance, j), at: position)
                if best.count > k { best.removeLast() }
            }
            return best.map(\.index)
        }
    }

    @inline(__always)
    static func squaredDistance(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                var j = 0
                let n = x.count
                while j + 4 <= n {
                    let d0 = x[j] - y[j], d1 = x[j + 1] - y[j + 1], d2 = x[j + 2] - y[j + 2], d3 = x[j + 3] - y[j + 3]
                    s0 += d0 * d0
                    s1 += d1 * d1
                    s2 += d2 * d2
                    s3 += d3 * d3
                    j += 4
                }
                while j < n {
                    let d = x[j] - y[j]
                    s0 += d * d
                    j += 1
                }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }
}
