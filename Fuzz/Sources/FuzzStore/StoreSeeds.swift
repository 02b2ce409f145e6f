import BalmerBus
import Foundation

/// Seeds of the store fuzzer: a key-length byte, the key, then an event payload (valid events,
/// and the hostile shapes that once stopped a partition).
enum StoreSeeds {
    static func all() throws -> [(name: String, bytes: [UInt8])] {
        func seed(_ key: [UInt8]?, _ value: [UInt8]) -> [UInt8] {
            guard let key else { return [255] + value }
            return [UInt8(min(key.count, 254))] + key.prefix(254) + value
        }
        func event(_ id: String, release: String = "DR9", location: String = "/data/spec.fits.gz", designation: String? = nil) -> [UInt8] {
            var json = #"{"schema":1,"spectrum_id":"\#(id)","survey":"LAMOST","release":"\#(release)","location":"\#(location)""#
            if let designation { json += #","designation":"\#(designation)""# }
            return Array((json + "}").utf8)
        }
        let valid = try EventCodec.encode(SpectrumEvent(
            spectrumID: "spec-55859-B558508_sp01-001", survey: "LAMOST", release: "DR9",
            location: "/data/lamost/spec-55859-B558508_sp01-001.fits.gz", ra: 80.0417, dec: 30, mjd: 55859,
            designation: "J052010.00+300000.0"))
        let label = try EventCodec.encode(LabelEvent(taskID: "t-3-17", spectrumID: "42", label: "double", labeller: "ana",
                                                     time: Date(timeIntervalSince1970: 1_795_000_000), comment: "two peaks"))
        return [
            ("valid.bin", seed(Array("spec-1".utf8), valid)),
            ("no-key.bin", seed(nil, valid)),
            ("label.bin", seed(Array("t-3-17".utf8), label)),
            ("nul-key.bin", seed([0x70, 0x00, 0x6b], Array("{not json".utf8))),
            ("nul-id.bin", seed(Array("x".utf8), event(#"a\u0000b"#))),
            ("nul-location.bin", seed(Array("x".utf8), event("x", location: #"/data/a\u0000.fits"#))),
            ("combining-id.bin", seed(Array("x".utf8), event(String(repeating: "e\u{301}", count: 40)))),
            ("c1-release.bin", seed(Array("x".utf8), event("x", release: "DR\u{85}9"))),
            ("invalid-utf8-key.bin", seed([0xff, 0xfe, 0xc3], valid)),
            ("long-key.bin", seed(Array(repeating: 0x6b, count: 254), valid)),
        ]
    }
}
