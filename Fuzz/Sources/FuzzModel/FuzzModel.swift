import BalmerCNN
import Foundation
import FuzzSupport

/// Fuzzes the safetensors model loader, ``CNNModel/init(safetensors:path:)``. A model that loads
/// must write bytes that load as an equal model and write the same bytes again.
@main
struct FuzzModel {
    static func main() { Fuzz.run(fuzzModelInput) }

    static func test(_ bytes: [UInt8]) {
        let model: CNNModel
        do {
            model = try CNNModel(safetensors: bytes, path: "fuzz.safetensors")
        } catch {
            Fuzz.expect(!"\(error)".isEmpty, "an error without a reason")
            return
        }
        Fuzz.expect(model.parameters.allSatisfy(\.isFinite), "non-finite weights were accepted")
        Fuzz.expect(model.info.classNames.count == model.architecture.classes, "class names and classes disagree")
        let written = model.safetensorsBytes()
        do {
            let again = try CNNModel(safetensors: written, path: "rewritten.safetensors")
            // Not `==`: a training summary may hold NaN losses (written as "nan"), never equal to themselves.
            Fuzz.expect(again.architecture == model.architecture, "the architecture changed in a round trip")
            Fuzz.expect(again.parameters.map(\.bitPattern) == model.parameters.map(\.bitPattern), "the weights changed in a round trip")
            Fuzz.expect(again.info.classNames == model.info.classNames && again.info.created == model.info.created
                        && again.info.parent == model.info.parent && again.info.preprocessing == model.info.preprocessing,
                        "the metadata changed in a round trip")
            Fuzz.expect(again.sha256 == model.sha256, "the digest changed in a round trip")
            Fuzz.expect(again.safetensorsBytes() == written, "the model writes different bytes after a round trip")
        } catch {
            Fuzz.expect(false, "a loaded model's own bytes do not load: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzModel.test(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzModelInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                                _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfAsked(ModelSeeds.all)
    return 0
}
