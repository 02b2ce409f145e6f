import BalmerBus
import BalmerCore
import Foundation

/// The hostile and unlucky messages of the poison-storm and late-files rows, each class repeated
/// `rounds` times under distinct keys, with the `rejects.key` each must end under (or the id it
/// must be stored as).
enum ChaosPoison {
    static func event(_ id: String, _ location: String, extra: String = "") -> [UInt8] {
        Array(#"{"schema":1,"spectrum_id":"\#(id)","survey":"LAMOST","release":"DR9","location":"\#(location)"\#(extra)}"#.utf8)
    }

    /// Every hostile class of the reliability table: bad keys (NUL, 3000 bytes, invalid UTF-8),
    /// bad identifiers (NUL, long in bytes, C1, combining marks), a NUL location and designation,
    /// a decomposed id (stored as NFC), a ~760 kB garbage payload (once), and files outside the
    /// data root, FIFOs and folders under it. Files are made in `directory` (the data root).
    static func storm(prefix: String, rounds: Int, directory: String, goodFile: String) throws -> ChaosStream.Additions {
        var out = ChaosStream.Additions()
        let fifo = directory + "/\(prefix)-pipe.fits.gz"
        if !FileManager.default.fileExists(atPath: fifo) { guard mkfifo(fifo, 0o644) == 0 else { throw POSIXError(.EIO) } }
        let folder = directory + "/\(prefix)-folder.fits.gz"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func reject(_ key: [UInt8], _ value: [UInt8]) {
            out.messages.append(ChaosStream.Message(rawKey: key, value: value))
            out.rejected.insert(RejectKey.printable(key))
        }
        for r in 0..<rounds {
            let tag = "\(prefix)-p\(r)"
            reject(Array("\(tag)-nul\u{0}key".utf8), Array("{not json".utf8))
            reject(Array("\(tag)-".utf8) + [UInt8](repeating: 0x6b, count: 3000), Array(#"{"schema":1}"#.utf8))
            reject(Array("\(tag)-".utf8) + [0xff, 0xfe, 0xc3], Array(#"{"schema":42}"#.utf8))
            reject(Array("\(tag)-nul-id".utf8), event(#"a\u0000b"#, goodFile))
            reject(Array("\(tag)-long-id".utf8), event(String(repeating: "i", count: 300), goodFile))
            reject(Array("\(tag)-heavy-id".utf8), event(String(repeating: "e\u{301}\u{301}\u{301}", count: 60), goodFile))
            reject(Array("\(tag)-c1".utf8), event(#"c1\u0085id"#, goodFile))
            reject(Array("\(tag)-nul-location".utf8), event("\(tag)-nul-location", #"/data/x\u0000.fits"#))
            reject(Array("\(tag)-nul-designation".utf8), event("\(tag)-nul-designation", goodFile, extra: #","designation":"J\u0000""#))
            // Refused files: the reject key is the (valid) spectrum id.
            for (name, location) in [("fifo", fifo), ("folder", folder), ("etc", "/etc/passwd"), ("proc", "/proc/self/status")] {
                let id = "\(tag)-\(name)"
                out.messages.append(ChaosStream.Message(key: id, value: event(id, location)))
                out.rejected.insert(id)
            }
            let nfc = "\(tag)-caf" + "e\u{301}"
            out.messages.append(ChaosStream.Message(key: nfc, value: event(nfc, goodFile)))
            out.stored.insert("\(tag)-caf\u{E9}")
        }
        var generator = SeededGenerator(seed: 11)
        reject(Array("\(prefix)-garbage".utf8), (0..<760_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return out
    }

    /// `count` events for files `directory/late/<prefix>-<i>.fits.gz` that do not exist yet (the
    /// row copies them in seconds later: they must be stored), and as many FIFOs (rejected).
    static func late(prefix: String, count: Int, directory: String) throws -> (additions: ChaosStream.Additions, paths: [String]) {
        var out = ChaosStream.Additions()
        try FileManager.default.createDirectory(atPath: directory + "/late", withIntermediateDirectories: true)
        var paths: [String] = []
        for i in 0..<count {
            let id = "\(prefix)-late-\(i)"
            let path = directory + "/late/\(id).fits.gz"
            paths.append(path)
            out.messages.append(ChaosStream.Message(key: id, value: event(id, path)))
            out.stored.insert(id)
            let fifoID = "\(prefix)-fifo-\(i)"
            let fifo = directory + "/late/\(fifoID).fits.gz"
            if !FileManager.default.fileExists(atPath: fifo) { guard mkfifo(fifo, 0o644) == 0 else { throw POSIXError(.EIO) } }
            out.messages.append(ChaosStream.Message(key: fifoID, value: event(fifoID, fifo)))
            out.rejected.insert(fifoID)
        }
        return (out, paths)
    }
}
