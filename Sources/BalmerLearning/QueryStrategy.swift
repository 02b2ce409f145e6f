import BalmerCore
import Foundation

/// How uncertain the classifier is about one spectrum; the most uncertain are queried.
public enum QueryStrategy: String, Sendable, Codable, CaseIterable {
    /// Shannon entropy H = −Σ p ln p (the paper's choice).
    case entropy
    /// 1 − (p₁ − p₂), where p₁ ≥ p₂ are the two largest probabilities.
    case margin
    /// 1 − max p.
    case leastConfidence = "least-confidence"
    /// A seeded uniform random score: the passive baseline.
    case random

    /// The uncertainty score of one probability vector: higher means more uncertain.
    /// `randomDraw` is used by `.random` only (a uniform number in [0, 1)).
    public func score(_ probabilities: some Collection<Float>, randomDraw: Double = 0) -> Double {
        switch self {
        case .entropy:
            return Self.entropy(probabilities)
        case .margin:
            var first: Float = 0
            var second: Float = 0
            for p in probabilities {
                if p > first {
                    second = first
                    first = p
                } else if p > second {
                    second = p
                }
            }
            return Double(1 - (first - second))
        case .leastConfidence:
            return Double(1 - (probabilities.max() ?? 0))
        case .random:
            return randomDraw
        }
    }

    /// H = −Σ p ln p over the non-zero probabilities (natural log, nats).
    public static func entropy(_ probabilities: some Collection<Float>) -> Double {
        var h = 0.0
        for p in probabilities where p > 0 {
            let q = Double(p)
            h -= q * log(q)
        }
        return h
    }
}

/// Top-k selection over pools of millions: O(n log k) without a diversity guard, O(n + m log n)
/// with one (m = items inspected until the batch is full).
public enum TopKSelection {
    /// Indices of the `k` highest `scores` among `eligible` ones, highest first (ties: lower index
    /// first). With `groups` and `maxPerGroup`, at most that many come from one group (a plate, a
    /// near-duplicate cluster), so one bad plate cannot fill a batch.
    public static func select(
        k: Int, scores: [Double], eligible: (Int) -> Bool = { _ in true },
        groups: [Int]? = nil, maxPerGroup: Int? = nil
    ) -> [Int] {
        guard k > 0 else { return [] }
        if let groups, let maxPerGroup {
            precondition(groups.count == scores.count, "one group per score")
            return guarded(k: k, scores: scores, eligible: eligible, groups: groups, maxPerGroup: maxPerGroup)
        }
        // A bounded min-heap of the best k seen so far.
        var heap = BoundedHeap(capacity: k)
        for i in scores.indices where eligible(i) && !scores[i].isNaN {
            heap.offer(score: scores[i], index: i)
        }
        return heap.sortedDescending()
    }

    private static func guarded(
        k: Int, scores: [Double], eligible: (Int) -> Bool, groups: [Int], maxPerGroup: Int
    ) -> [Int] {
        var candidates = scores.indices.filter { eligible($0) && !scores[$0].isNaN }
        // Max-heap by (score, -index), built in O(n); pop until the batch is full.
        func before(_ a: Int, _ b: Int) -> Bool { scores[a] > scores[b] || (scores[a] == scores[b] && a < b) }
        var heap = Heap(items: candidates, before: before)
        candidates = []
        var perGroup: [Int: Int] = [:]
        var chosen: [Int] = []
        while chosen.count < k, let next = heap.pop() {
            let group = groups[next]
            guard perGroup[group, default: 0] < maxPerGroup else { continue }
            perGroup[group, default: 0] += 1
            chosen.append(next)
        }
        return chosen
    }
}

/// The k best (score, index) pairs, kept in a min-heap whose root is the worst kept.
struct BoundedHeap {
    private var items: [(score: Double, index: Int)] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    /// a ranks below b: lower score, or equal score and higher index.
    private static func below(_ a: (score: Double, index: Int), _ b: (score: Double, index: Int)) -> Bool {
        a.score < b.score || (a.score == b.score && a.index > b.index)
    }

    mutating func offer(score: Double, index: Int) {
        let item = (score: score, index: index)
        if items.count < capacity {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.below(items[child], items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        } else if Self.below(items[0], item) {
            items[0] = item
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, Self.below(items[left], items[smallest]) { smallest = left }
                if right < items.count, Self.below(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    func sortedDescending() -> [Int] {
        items.sorted { Self.below($1, $0) }.map(\.index)
    }
}

/// A binary heap of indices ordered by `before` (the root comes first).
struct Heap {
    private var items: [Int]
    private let before: (Int, Int) -> Bool

    init(items: [Int], before: @escaping (Int, Int) -> Bool) {
        self.items = items
        self.before = before
        var i = items.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        if !items.isEmpty { siftDown(0) }
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < items.count, before(items[left], items[first]) { first = left }
            if right < items.count, before(items[right], items[first]) { first = right }
            if first == parent { return }
            items.swapAt(parent, first)
            parent = first
        }
    }
}
