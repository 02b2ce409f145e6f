import BalmerCNN
import Foundation

/// Tiny models (a few hundred parameters) covering every layer kind and the optional metadata.
enum ModelSeeds {
    static func all() throws -> [(name: String, bytes: [UInt8])] {
        let created = Date(timeIntervalSince1970: 1_795_000_000)
        let conv = Architecture(
            inputLength: 12,
            layers: [.conv(kernel: 3, filters: 2), .maxPool(size: 2), .conv(kernel: 1, filters: 3), .dense(units: 4), .dropout(rate: 0.5)],
            classes: 3)
        let trainingJSON = """
            {"epochsRun":3,"bestEpoch":2,"stoppedEarly":false,"monitor":"val_loss","bestMonitored":0.5,"trainingSamples":90,\
            "validationSamples":10,"batchSize":32,"seed":7,"loss":0.61,"validationLoss":"nan","validationAccuracy":0.8,"seconds":1.5}
            """
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let training = try decoder.decode(TrainingSummary.self, from: Data(trainingJSON.utf8))
        let convModel = try CNNModel(
            architecture: conv, seed: 1,
            info: ModelInfo(classNames: ["single", "double", "other"], preprocessing: "{\"points\":12}", created: created,
                            parent: String(repeating: "ab", count: 32), training: training))
        let dense = Architecture(inputLength: 4, inputChannels: 2, layers: [.dense(units: 3)], classes: 2)
        let denseModel = try CNNModel(architecture: dense, seed: 2, info: ModelInfo(classNames: ["yes", "no"], created: created))
        let denseBytes = denseModel.safetensorsBytes()
        return [
            ("conv.safetensors", convModel.safetensorsBytes()),
            ("dense.safetensors", denseBytes),
            // Inputs that once trapped on arithmetic overflow (kept as regressions).
            ("regression-offsets.safetensors",
             try editedHeader(denseBytes, "\"data_offsets\":[0,96]", "\"data_offsets\":[1,-9223372036854775808]")),
            ("regression-input.safetensors", try editedHeader(denseBytes, "input=4x2", "input=4294967296x4294967296")),
        ]
    }

    /// `bytes` with `old` replaced by `new` in the JSON header (length and padding redone).
    static func editedHeader(_ bytes: [UInt8], _ old: String, _ new: String) throws -> [UInt8] {
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        guard header.contains(old) else { throw CocoaError(.coderInvalidValue) }
        var edited = Array(header.replacingOccurrences(of: old, with: new).utf8)
        while edited.count % 8 != 0 { edited.append(0x20) }
        return (0..<8).map { UInt8(truncatingIfNeeded: edited.count >> (8 * $0)) } + edited + bytes[(8 + length)...]
    }
}
