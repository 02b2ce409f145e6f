import Dispatch

/// Data-parallel loops for the non-GEMM work (epilogues, pooling, reductions).
///
/// Runs on GCD's worker threads via `DispatchQueue.concurrentPerform`, never on Swift's
/// cooperative pool. The split of `count` items into chunks depends only on `count` and
/// `threads`, so results that reduce per chunk are deterministic for a given thread count.
enum ParallelLoop {
    /// Calls `body` once per chunk with a contiguous range of `0..<count` and the chunk index.
    /// With `threads <= 1` or a tiny `count` the body runs inline.
    static func chunks(_ count: Int, threads: Int, minimumPerChunk: Int = 1,
                       _ body: (_ range: Range<Int>, _ chunk: Int) -> Void) {
        let chunkCount = chunkCount(count, threads: threads, minimumPerChunk: minimumPerChunk)
        if chunkCount <= 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let box = ChunkBody(call: escapable)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
                box.call(range(of: c, count: count, chunks: chunkCount), c)
            }
        }
    }

    /// How many chunks `chunks(_:threads:minimumPerChunk:_:)` uses.
    static func chunkCount(_ count: Int, threads: Int, minimumPerChunk: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        return max(1, min(threads, count / max(1, minimumPerChunk)))
    }

    /// The `c`-th of `chunks` near-equal contiguous ranges of `0..<count`.
    static func range(of c: Int, count: Int, chunks: Int) -> Range<Int> {
        let base = count / chunks, extra = count % chunks
        let start = c * base + min(c, extra)
        return start..<(start + base + (c < extra ? 1 : 0))
    }
}

/// Carries a chunk body into `concurrentPerform`'s `@Sendable` closure.
/// `@unchecked Sendable`: `concurrentPerform` returns only after every iteration has finished,
/// and callers give each chunk a disjoint slice of the buffers they write.
private struct ChunkBody: @unchecked Sendable {
    let call: (Range<Int>, Int) -> Void
}
