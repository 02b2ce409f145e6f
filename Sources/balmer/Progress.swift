import Foundation

/// A progress line on stderr for long work: count, rate and ETA, redrawn at most 4 times a second
/// on a terminal, and every 10 % otherwise (so logs stay readable). Safe from any thread.
/// `@unchecked Sendable`: all state is guarded by `lock`.
final class Progress: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let lock = NSLock()
    private var done = 0
    private var lastDraw = 0.0
    private var lastDecile = 0
    private var drawnDone = -1
    private let start = Date()
    private let interactive = isatty(STDERR_FILENO) == 1

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    func advance(by count: Int = 1) {
        lock.lock()
        defer { lock.unlock() }
        done += count
        let elapsed = Date().timeIntervalSince(start)
        let decile = done * 10 / total
        if interactive ? elapsed - lastDraw >= 0.25 : decile > lastDecile {
            lastDraw = elapsed
            lastDecile = decile
            draw(elapsed: elapsed)
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawnDone != done { draw(elapsed: Date().timeIntervalSince(start)) }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(elapsed: Double) {
        drawnDone = done
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "%@: %d/%d (%.0f%%) %.0f/s ETA %.0fs", label, done, total,
                          100 * Double(done) / Double(total), rate, eta)
        FileHandle.standardError.write(Data((interactive ? "\r" + line : line + "\n").utf8))
    }
}
