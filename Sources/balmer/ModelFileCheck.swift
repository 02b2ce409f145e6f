import BalmerCNN
import BalmerCore
import BalmerService
import Foundation

/// Checks a model file before it is registered.
enum ModelFileCheck {
    /// The model in `path`, or exit 2 when it is unreadable or does not fit the store's features.
    static func load(_ path: String) throws -> (model: CNNModel, sha256: String) {
        let model: CNNModel
        do { model = try CNNModel.load(contentsOf: path) } catch { throw CLIFailure(2, error.description) }
        guard model.architecture.inputSize == SpectrumRecord.featureCount else {
            throw CLIFailure(2, "\(path) takes \(model.architecture.inputSize) points, the store's features have \(SpectrumRecord.featureCount)")
        }
        do { _ = try ScoringModel(version: 0, model: model) } catch { throw CLIFailure(2, "\(path): \(error)") }
        return (model, model.sha256)
    }

    /// The metrics stored for a registered file: its training summary, when it has one.
    static func metricsJSON(_ model: CNNModel, file: String) -> String {
        var metrics: [String: Any] = ["source": "file", "file": (file as NSString).lastPathComponent]
        if let t = model.info.training {
            metrics["epochs"] = t.epochsRun
            metrics["loss"] = t.loss
            metrics["training_samples"] = t.trainingSamples
            if let v = t.validationLoss { metrics["val_loss"] = v }
            if let v = t.validationAccuracy { metrics["val_accuracy"] = v }
        }
        return ModelJSON.text(metrics)
    }
}
