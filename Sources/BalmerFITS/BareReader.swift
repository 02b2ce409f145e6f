import BalmerCore

/// cfitsio's own floor for the preprocessing benchmark: open each LAMOST DR9 file through
/// cfitsio's file drivers (`fits_open_diskfile`, which inflates gzip itself) and read its FLUX,
/// IVAR and WAVELENGTH vectors, with no layout detection, checks or preprocessing.
public enum BareReader {
    /// Reads every file with `threads` threads; returns how many failed.
    public static func readAll(_ paths: [String], threads: Int) -> Int {
        let failed = Parallel.map(count: paths.count, threads: threads) { i -> Bool in
            do {
                let file = try FITSFile.openThroughCFITSIO(path: paths[i])
                try file.move(toHDU: 2, loadHeader: false)
                for name in ["FLUX", "IVAR", "WAVELENGTH"] {
                    guard let column = file.column(name) else { return true }
                    _ = try file.readColumn(column, row: 1, count: try file.columnRepeat(column))
                }
                return false
            } catch {
                return true
            }
        }
        return failed.filter { $0 }.count
    }
}
