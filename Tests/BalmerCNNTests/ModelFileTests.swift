import Foundation
import Testing
import BalmerCore
@testable import BalmerCNN

@Suite struct ModelFileTests {
    static let arch = Architecture(inputLength: 10, layers: [.conv(kernel: 3, filters: 3), .maxPool(size: 2),
                                                            .dense(units: 4), .dropout(rate: 0.5)], classes: 3)

    static func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("balmer-cnn-\(UUID().uuidString)-\(name)").path
    }

    static func model() throws -> CNNModel {
        var m = try CNNModel(architecture: arch, seed: 4, info: ModelInfo(
            classNames: ["single", "double", "other"], preprocessing: #"{"window":[6519,6732],"points":140}"#,
            created: Date(timeIntervalSince1970: 1_763_000_000), parent: String(repeating: "ab", count: 32)))
        m.parameters[m.parameters.count - 1] = -0.0            // signed zero survives
        m.parameters[0] = .leastNonzeroMagnitude               // subnormal survives
        m.info.training = TrainingSummary(
            epochsRun: 12, bestEpoch: 2, stoppedEarly: true, monitor: .validationLoss, bestMonitored: 0.25,
            trainingSamples: 90, validationSamples: 10, batchSize: 32, seed: 7, loss: 0.3,
            validationLoss: 0.25, validationAccuracy: 0.9, seconds: 1.5)
        return m
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func roundTripIsBitExact() throws {
        let m = try Self.model()
        let path = Self.tempPath("model.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.write(to: path)
        let loaded = try CNNModel.load(contentsOf: path)
        #expect(loaded == m)
        #expect(loaded.parameters.map(\.bitPattern) == m.parameters.map(\.bitPattern))
        #expect(loaded.sha256 == m.sha256)
        // Writing the loaded model gives identical bytes.
        #expect(loaded.safetensorsBytes() == m.safetensorsBytes())
    }

    @Test func headerFollowsSafetensors() throws {
        let m = try Self.model()
        let bytes = m.safetensorsBytes()
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + n) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        let conv = try #require(header["conv1.weight"] as? [String: Any])
        #expect(conv["dtype"] as? String == "F32")
        #expect(conv["shape"] as? [Int] == [3, 1, 3])
        let meta = try #require(header["__metadata__"] as? [String: String])
        #expect(meta["sha256"] == m.sha256)
        #expect(meta["architecture"] == Self.arch.notation)
        #expect(meta["parent"] == m.info.parent)
        #expect(bytes.count - 8 - n == m.parameters.count * 4)
        // dense1 weight [floor(10/2) * 3, 4] = [15, 4], values in order.
        let dense = try #require(header["dense1.weight"] as? [String: Any])
        #expect(dense["shape"] as? [Int] == [15, 4])
        let offsets = try #require(dense["data_offsets"] as? [Int])
        let first = bytes[(8 + n + offsets[0])..<(8 + n + offsets[0] + 4)].enumerated()
            .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        #expect(Float(bitPattern: first) == m.tensor(named: "dense1.weight")!.first!)
    }

    @Test func corruptFilesAreRefused() throws {
        let good = try Self.model().safetensorsBytes()
        let n = Int(good[0]) | Int(good[1]) << 8
        var flipped = good; flipped[good.count - 5] ^= 0x01                 // one bit in the tensors
        var truncated = good; truncated.removeLast(4)
        var badLength = good; badLength[0] = 0xFF; badLength[1] = 0xFF; badLength[2] = 0xFF
        var badJSON = good; badJSON[8] = UInt8(ascii: "[")
        let header = String(decoding: good[8..<(8 + n)], as: UTF8.self)
        func withHeader(_ h: String) -> [UInt8] {
            var bytes = Array(h.utf8)
            while bytes.count % 8 != 0 { bytes.append(0x20) }
            return (0..<8).map { UInt8(truncatingIfNeeded: bytes.count >> (8 * $0)) } + bytes + good[(8 + n)...]
        }
        let wrongShape = withHeader(header.replacingOccurrences(of: "\"shape\":[3,1,3]", with: "\"shape\":[1,3,3]"))
        let wrongArch = withHeader(header.replacingOccurrences(of: "fc-4", with: "fc-5"))
        let wrongDtype = withHeader(header.replacingOccurrences(of: "\"F32\"", with: "\"F16\""))
        let wrongClasses = withHeader(header.replacingOccurrences(of: #"\"other\""#, with: ""))
        // Found by fuzzing: a year such as -26 parsed but did not write back the same.
        #expect(header.contains("\"created\":\"2025-"))
        let oddYear = withHeader(header.replacingOccurrences(of: "\"created\":\"2025-", with: "\"created\":\"-025-"))
        for (name, bytes) in [("bit flip", flipped), ("truncated", truncated), ("header length", badLength),
                              ("json", badJSON), ("shape", wrongShape), ("architecture", wrongArch),
                              ("dtype", wrongDtype), ("classes", wrongClasses), ("year", oddYear), ("empty", [])] {
            #expect(throws: CNNError.self, "\(name)") { try CNNModel(safetensors: bytes, path: name) }
        }
        do {
            _ = try CNNModel(safetensors: flipped, path: "x")
        } catch {
            #expect(error.description.contains("sha256"), "\(error)")
        }
        #expect(throws: CNNError.self) { try CNNModel.load(contentsOf: Self.tempPath("missing")) }
    }

    /// Found by fuzzing the loader: sizes near Int.max in the architecture or the offsets trapped
    /// on arithmetic overflow (the process died) instead of being refused.
    @Test func hugeSizesAreRefusedNotTrapped() throws {
        for notation in ["input=4294967296x4294967296 fc-3 classes=2", "input=8x1 conv9223372036854775807-1 classes=2",
                         "input=8x1 conv3-9223372036854775807 classes=2", "input=8x1 fc-9223372036854775807 classes=2",
                         "input=8x1 classes=9223372036854775807", "input=9223372036854775807x1 maxpool2 classes=2",
                         "input=3037000500x1 conv3-3037000500 classes=2"] {
            #expect(throws: CNNError.self, "\(notation)") { try Architecture(notation: notation) }
        }
        #expect(throws: CNNError.self) {
            try Architecture(inputLength: 1 << 40, inputChannels: 1 << 40, layers: [.dense(units: 2)], classes: 2).parameterCount()
        }
        let good = try Self.model().safetensorsBytes()
        let n = Int(good[0]) | Int(good[1]) << 8
        let header = String(decoding: good[8..<(8 + n)], as: UTF8.self)
        #expect(header.contains("\"data_offsets\":[0,36]"))
        for offsets in ["[1,-9223372036854775808]", "[9223372036854775807,36]", "[36,0]"] {
            var bytes = Array(header.replacingOccurrences(of: "\"data_offsets\":[0,36]", with: "\"data_offsets\":\(offsets)").utf8)
            while bytes.count % 8 != 0 { bytes.append(0x20) }
            let file = (0..<8).map { UInt8(truncatingIfNeeded: bytes.count >> (8 * $0)) } + bytes + good[(8 + n)...]
            #expect(throws: CNNError.self, "\(offsets)") { try CNNModel(safetensors: file, path: "offsets") }
        }
    }
}
