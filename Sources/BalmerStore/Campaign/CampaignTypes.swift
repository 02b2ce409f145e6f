public import BalmerCore
public import Foundation

/// The campaign row: when it started, converged and finished, and its final model.
public struct CampaignRow: Sendable, Equatable, Codable {
    public var startedAt: Date
    public var convergedAt: Date?
    /// The iteration whose precision estimate completed the stop rule.
    public var convergedIteration: Int?
    /// The model of the final long training, once trained and promoted.
    public var finalModel: Int?
    /// When the final model's rescoring completed: the final candidate set is ready.
    public var finishedAt: Date?
}

/// How a model came to be.
public enum ModelKind: String, Sendable, Codable, CaseIterable {
    /// Registered from a file (`model.file`, `balmer model promote --file`).
    case file
    /// Trained on the initial set only (`balmer train --database`).
    case initial
    /// Retrained in the loop (warm start, fast stopping).
    case loop
    /// The final long training after convergence.
    case final
}

/// A model with its lineage and loop bookkeeping (the `models` row without the weights).
public struct ModelEntry: Sendable, Equatable, Codable {
    public var record: ModelRecord
    public var kind: ModelKind
    /// The iteration that trained it (loop and final models).
    public var iteration: Int?
    /// Usable oracle labels it was trained on.
    public var oracleLabels: Int
    /// Why it was promoted, rejected or rolled back.
    public var decision: String?
    public var promotedAt: Date?
    /// When rescoring the whole pool with it completed.
    public var rescoredAt: Date?

    public var version: Int { record.version }
}

/// An oracle's answer as it arrives on `balmer.labels` (decoded and validated).
public struct OracleAnswer: Sendable, Equatable {
    public var taskID: String
    /// The store's spectrum id as the task gave it (checked against the task).
    public var spectrumID: String
    public var label: SpectrumClass
    public var labeller: String
    public var time: Date
    public var comment: String?
    /// Set when the answer replaces the labeller's earlier answer to this task.
    public var corrects: String?
    /// Where balmerd read the answer in the labels topic; decides which of a labeller's answers
    /// to a task stands (`nil` for callers outside the topic: then the client `time` does).
    public var received: LabelPosition?
    /// The labeller's signature as it arrived (base64), kept for attribution.
    public var signature: String?

    public init(taskID: String, spectrumID: String, label: SpectrumClass, labeller: String, time: Date,
                comment: String? = nil, corrects: String? = nil, received: LabelPosition? = nil, signature: String? = nil) {
        self.taskID = taskID
        self.spectrumID = spectrumID
        self.label = label
        self.labeller = labeller
        self.time = time
        self.comment = comment
        self.corrects = corrects
        self.received = received
        self.signature = signature
    }
}

/// What storing an ``OracleAnswer`` did.
public enum OracleAnswerOutcome: Sendable, Equatable {
    /// A new label.
    case stored
    /// A later answer replaced the labeller's earlier one for the task.
    case corrected
    /// Already known (a redelivery, or an older answer arriving after its correction): no change.
    case unchanged
    /// Refused with a reason code (unknown task, spectrum mismatch).
    case refused(code: String, reason: String)
}

/// A spectrum whose labellers disagree.
public struct LabelConflict: Sendable, Equatable, Codable {
    public var spectrumID: SpectrumRecord.ID
    public var key: SpectrumKey
    /// Labellers per class name.
    public var tally: [String: Int]
    /// The usable label: a resolution or a strict majority; `nil` while unresolved.
    public var label: SpectrumClass?
    /// Who resolved it explicitly, if anyone.
    public var resolvedBy: String?
}

/// One example of the training set: the stored feature vector and its label.
public struct TrainingExample: Sendable, Equatable {
    public var spectrumID: SpectrumRecord.ID
    public var features: [Float]
    public var label: SpectrumClass
    /// `initial` set or an `oracle` answer.
    public var fromOracle: Bool
}

/// Tasks of one iteration and how many are answered (a usable label exists).
public struct IterationTasks: Sendable, Equatable {
    public var queryAsked = 0
    public var queryAnswered = 0
    public var precisionAsked = 0
    public var precisionAnswered = 0
    /// Open query tasks (not answered yet).
    public var queryOpen: Int { queryAsked - queryAnswered }
}

/// A precision-sample task with the prediction it checks and the usable answer, if any.
public struct PrecisionSampleRow: Sendable, Equatable {
    public var spectrumID: SpectrumRecord.ID
    public var predicted: SpectrumClass
    public var label: SpectrumClass?
}
