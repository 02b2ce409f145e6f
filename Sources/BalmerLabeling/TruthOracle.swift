/// The simulated oracle of `balmer label --simulate`: answers tasks from the truth of a
/// simulated survey (`truth.csv` from `balmer simulate`), optionally wrong at a given rate.
///
/// Matching: the truth names files (e.g. `spec-55919-B5591903_sp01-001.fits`); a task is matched
/// by the file name stem (without directories, `.gz` and `.fits`/`.fit`) of its `location`, then
/// of its `survey_key`, then of its spectrum id, so `/data/x.fits.gz`, `file:///data/x.fits` and a
/// key `x` all find row `x.fits`.
///
/// Errors: each answer is wrong with probability `errorRate`, then replaced by one of the other
/// labels. The draw for a task depends only on the seed and the task id (not on arrival order),
/// so a rerun answers every task the same way.
public struct TruthOracle: Sendable {
    public let errorRate: Double
    public let seed: UInt64
    private let truth: [String: String]
    private let labels: [String]

    /// - Parameters:
    ///   - truth: file names (or paths) with their true labels.
    ///   - labels: every label an error may pick; default `single`, `double`, `other`.
    public init(truth: [(file: String, label: String)], errorRate: Double = 0, seed: UInt64 = 1,
                labels: [String] = ["single", "double", "other"]) {
        var table: [String: String] = [:]
        for row in truth { table[Self.stem(row.file)] = row.label }
        self.truth = table
        self.errorRate = min(max(errorRate, 0), 1)
        self.seed = seed
        self.labels = labels
    }

    /// Rows in the truth table.
    public var count: Int { truth.count }

    /// The true label of the file behind `location`, `surveyKey` or `spectrumID`, if known.
    public func trueLabel(location: String, surveyKey: String? = nil, spectrumID: String? = nil) -> String? {
        for candidate in [location, surveyKey, spectrumID].compactMap({ $0 }) {
            if let label = truth[Self.stem(candidate)] { return label }
        }
        return nil
    }

    /// The oracle's answer for a task, or `nil` when its file is not in the truth.
    public func answer(taskID: String, location: String, surveyKey: String? = nil, spectrumID: String? = nil) -> String? {
        guard let label = trueLabel(location: location, surveyKey: surveyKey, spectrumID: spectrumID) else { return nil }
        guard errorRate > 0 else { return label }
        var state = seed ^ Self.hash(taskID)
        let draw = Double(Self.splitMix(&state) >> 11) / Double(1 << 53)
        guard draw < errorRate else { return label }
        let others = labels.filter { $0 != label }
        guard !others.isEmpty else { return label }
        return others[Int(Self.splitMix(&state) % UInt64(others.count))]
    }

    /// The file name without folders, URI scheme, `.gz` and `.fits`/`.fit`, lower-cased.
    public static func stem(_ path: String) -> String {
        var name = Substring(path.split(separator: "/", omittingEmptySubsequences: true).last ?? Substring(path))
        for suffix in [".gz", ".fits", ".fit"] where name.lowercased().hasSuffix(suffix) {
            name = name.dropLast(suffix.count)
        }
        return name.lowercased()
    }

    /// FNV-1a over the UTF-8 bytes: stable across runs and platforms (unlike `Hasher`).
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return value
    }

    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
