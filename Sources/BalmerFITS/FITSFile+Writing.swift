internal import CFITSIO

/// A header keyword value to write.
enum FITSKeyValue {
    case string(String)
    case double(Double)
    case int(Int)
    case bool(Bool)
}

/// A binary-table column to create: name, TFORM (e.g. `3909E`, `1D`, `1J`) and unit.
struct FITSColumn {
    var name: String
    var format: String
    var unit: String = ""
}

extension FITSFile {
    /// Appends an image HDU. `bitpix` is -32 (float32) or -64 (float64); `sizes` may be empty.
    func createImage(bitpix: Int32, sizes: [Int]) throws {
        var status: Int32 = 0
        var naxes = sizes
        ffcrim(rawHandle, bitpix, Int32(sizes.count), &naxes, &status)
        try check(status, "creating an image HDU")
    }

    /// Writes all pixels of the current image (row-major, NAXIS1 fastest), converting to its BITPIX.
    func writePixels(_ values: [Double]) throws {
        var status: Int32 = 0
        var copy = values
        ffpprd(rawHandle, 1, 1, Int64(values.count), &copy, &status)
        try check(status, "writing image pixels")
    }

    /// Writes or updates keywords, in order.
    func write(keys: [(String, FITSKeyValue, String)]) throws {
        for (key, value, comment) in keys {
            var status: Int32 = 0
            switch value {
            case .string(let text): ffukys(rawHandle, key, text, comment, &status)
            case .double(let number): ffukyd(rawHandle, key, number, -15, comment, &status)
            case .int(let number): ffukyj(rawHandle, key, Int64(number), comment, &status)
            case .bool(let flag): ffukyl(rawHandle, key, flag ? 1 : 0, comment, &status)
            }
            try check(status, "writing keyword \(key)")
        }
    }

    /// Appends a binary table with `rows` rows and the given columns.
    func createBinaryTable(name: String, rows: Int, columns: [FITSColumn]) throws {
        var status: Int32 = 0
        var names = columns.map { strdup($0.name) }
        var formats = columns.map { strdup($0.format) }
        var units = columns.map { strdup($0.unit) }
        defer { (names + formats + units).forEach { free($0) } }
        ffcrtb(rawHandle, BINARY_TBL, Int64(rows), Int32(columns.count), &names, &formats, &units, name, &status)
        try check(status, "creating binary table \(name)")
    }

    /// Writes `values` into a column starting at 1-based `row`, element 1 (continuing across rows).
    func writeColumn(_ column: Int, row: Int = 1, values: [Double]) throws {
        var status: Int32 = 0
        var copy = values
        ffpcld(rawHandle, Int32(column), Int64(row), 1, Int64(values.count), &copy, &status)
        try check(status, "writing table column \(column)")
    }

    /// Writes string values into a column (one per row, from row 1).
    func writeColumn(_ column: Int, strings: [String]) throws {
        var status: Int32 = 0
        var pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        ffpcls(rawHandle, Int32(column), 1, 1, Int64(strings.count), &pointers, &status)
        try check(status, "writing string column \(column)")
    }
}

import Foundation
