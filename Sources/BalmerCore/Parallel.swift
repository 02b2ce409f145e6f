import Dispatch
import Foundation

/// Blocking data parallelism on threads of its own (never Swift's cooperative pool).
public enum Parallel {
    /// Calls `body(i)` for every `i` in `0..<count` on up to `threads` threads, handing out
    /// indices one at a time (so uneven work balances), and returns the results in index order.
    public static func map<T>(count: Int, threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let slots = Slots<T>(count: count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while true {
                let i = next.take()
                guard i < count else { return }
                slots.set(i, body(i))
            }
        }
        return slots.values
    }
}

/// Result slots each written once by one worker thread.
/// `@unchecked Sendable`: the slots live in one raw allocation (no copy-on-write array), every
/// index is written by exactly one thread, and `values` is read only after `concurrentPerform`
/// has returned, which orders all writes before the read.
private final class Slots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>
    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }
    deinit {
        storage.deinitialize()
        storage.deallocate()
    }
    func set(_ index: Int, _ value: Value) { storage[index] = value }
    var values: [Value] { storage.map { $0! } }
}

/// Hands out work indices. `@unchecked Sendable`: guarded by an NSLock.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
