import Dispatch

/// cfitsio's floor for the preprocessing benchmark: open each LAMOST DR9 file and read its FLUX,
/// IVAR and WAVELENGTH vectors, with no layout detection, checks or preprocessing.
public enum BareReader {
    /// Reads every file with `threads` threads; returns how many failed.
    public static func readAll(_ paths: [String], threads: Int) -> Int {
        let next = AtomicCounter()
        let failures = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
            while true {
                let i = next.increment()
                guard i < paths.count else { return }
                do {
                    let file = try FITSFile.open(path: paths[i])
                    try file.move(toHDU: 2, loadHeader: false)
                    for name in ["FLUX", "IVAR", "WAVELENGTH"] {
                        guard let column = file.column(name) else { throw FITSError(.unknownLayout, name) }
                        _ = try file.readColumn(column, row: 1, count: try file.columnRepeat(column))
                    }
                } catch {
                    _ = failures.increment()
                }
            }
        }
        return failures.increment()
    }
}
