import BalmerCore
import Testing
@testable import BalmerLearning

@Suite struct SMOTETests {
    static func randomData(counts: [Int], dimension: Int, seed: UInt64) -> SMOTE.Dataset {
        var generator = SeededGenerator(seed: seed)
        var features: [Float] = []
        var labels: [Int] = []
        for (label, count) in counts.enumerated() {
            for _ in 0..<count {
                for _ in 0..<dimension { features.append(Float(label) * 10 + Float(generator.unit())) }
                labels.append(label)
            }
        }
        return SMOTE.Dataset(features: features, labels: labels, dimension: dimension)
    }

    @Test func balancesEveryClassToTheMajority() {
        let data = Self.randomData(counts: [50, 7, 200], dimension: 6, seed: 1)
        let balanced = SMOTE(seed: 3, threads: 2).balance(data)
        #expect(balanced.count == 600)
        for label in 0..<3 { #expect(balanced.labels.filter { $0 == label }.count == 200) }
        #expect(Array(balanced.features.prefix(data.features.count)) == data.features)
    }

    @Test func syntheticPointsLieOnSegmentsBetweenNeighbours() {
        // 1-D points: a synthetic point must lie between its base and one of the base's k nearest.
        let values: [Float] = [0, 1, 2, 3, 10, 11, 12, 13, 14, 100]
        let data = SMOTE.Dataset(features: values + Array(repeating: 50, count: 30),
                                 labels: Array(repeating: 0, count: 10) + Array(repeating: 1, count: 30), dimension: 1)
        let balanced = SMOTE(k: 2, seed: 9, threads: 1).balance(data)
        let synthetic = balanced.features[40...]
        #expect(synthetic.count == 20)
        let neighbours = SMOTE(k: 2, threads: 1).nearestNeighbours(values.map { [$0] }, k: 2)
        for point in synthetic {
            let explained = values.indices.contains { base in
                neighbours[base].contains { other in
                    let (lo, hi) = (min(values[base], values[other]), max(values[base], values[other]))
                    return point >= lo && point <= hi
                }
            }
            #expect(explained, "\(point) is on no neighbour segment")
        }
    }

    @Test func nearestNeighboursMatchANaiveSearch() {
        let data = Self.randomData(counts: [60], dimension: 5, seed: 4)
        let rows = (0..<60).map { Array(data.features[($0 * 5)..<($0 * 5 + 5)]) }
        let fast = SMOTE(threads: 2).nearestNeighbours(rows, k: 5)
        for i in rows.indices {
            let naive = rows.indices.filter { $0 != i }
                .sorted { (SMOTE.squaredDistance(rows[i], rows[$0]), $0) < (SMOTE.squaredDistance(rows[i], rows[$1]), $1) }
            #expect(fast[i] == Array(naive.prefix(5)))
        }
    }

    @Test func tinyClassesBehave() {
        let lone = SMOTE.Dataset(features: [1, 2, 5, 5, 6, 6, 7, 7], labels: [0, 1, 1, 1], dimension: 2)
        let balanced = SMOTE(threads: 1).balance(lone)
        #expect(balanced.labels.filter { $0 == 0 }.count == 3)
        #expect(Array(balanced.features[8...]) == [1, 2, 1, 2])  // duplicated, no neighbour to move to
        let pair = Self.randomData(counts: [2, 20], dimension: 3, seed: 2)  // k = 5 > class size
        #expect(SMOTE(k: 5, threads: 1).balance(pair).labels.filter { $0 == 0 }.count == 20)
    }

    @Test func deterministicForASeed() {
        let data = Self.randomData(counts: [30, 90], dimension: 4, seed: 5)
        #expect(SMOTE(seed: 7, threads: 2).balance(data) == SMOTE(seed: 7, threads: 1).balance(data))
        #expect(SMOTE(seed: 7).balance(data) != SMOTE(seed: 8).balance(data))
    }
}
