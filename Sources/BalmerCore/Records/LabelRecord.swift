import Foundation

/// Where a label came from.
public enum LabelSource: String, Sendable, Codable, CaseIterable, Hashable {
    /// The initial training set (e.g. the Ondřejov dataset).
    case initial
    /// An answer to an active-learning query (trained on).
    case query
    /// An answer to a precision-sample task (never trained on).
    case precision
}

/// A class assigned to a spectrum by a labeller. Natural key: (spectrum, labeller, source, task);
/// storing the same label twice changes nothing.
public struct LabelRecord: Sendable, Hashable, Codable {
    public var spectrumID: SpectrumRecord.ID
    public var label: SpectrumClass
    /// Who answered: a user name, `simulated-oracle`, or `dataset` for initial labels.
    public var labeller: String
    public var source: LabelSource
    /// The task answered, if any (`nil` for initial labels).
    public var taskID: String?
    /// When the label was given.
    public var labelledAt: Date
    public var comment: String?

    public init(
        spectrumID: SpectrumRecord.ID, label: SpectrumClass, labeller: String, source: LabelSource,
        taskID: String? = nil, labelledAt: Date = Date(), comment: String? = nil
    ) {
        self.spectrumID = spectrumID
        self.label = label
        self.labeller = labeller
        self.source = source
        self.taskID = taskID
        self.labelledAt = labelledAt
        self.comment = comment
    }
}
