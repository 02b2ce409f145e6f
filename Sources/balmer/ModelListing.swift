import BalmerStore
import Foundation

/// How `balmer model list` shows the registry.
enum ModelListing {
    /// Metric names shown in the table, in order, with their short titles.
    static let keyMetrics: [(key: String, title: String)] = [
        ("heldout_accuracy", "held-out"), ("parent_heldout_accuracy", "parent held-out"),
        ("oracle_accuracy", "oracle"), ("val_accuracy", "val"), ("epochs", "epochs"),
    ]

    /// One JSON object per model: version, status, kind, parent, iteration, oracle_labels,
    /// created, promoted, rescored (ISO 8601 or null), decision, training_counts, sha256, metrics.
    static func object(_ e: ModelEntry) -> [String: Any] {
        [
            "version": e.version, "status": e.record.status.rawValue, "kind": e.kind.rawValue,
            "parent": e.record.parent ?? NSNull(), "iteration": e.iteration ?? NSNull(), "oracle_labels": e.oracleLabels,
            "created": ModelJSON.date(e.record.createdAt), "promoted": ModelJSON.date(e.promotedAt),
            "rescored": ModelJSON.date(e.rescoredAt), "decision": e.decision ?? NSNull(),
            "training_counts": e.record.trainingCounts, "sha256": e.record.sha256,
            "metrics": ModelJSON.object(e.record.metricsJSON),
        ]
    }

    /// Key metrics as `name value` pairs, e.g. `held-out 0.912 epochs 14`.
    static func metricsSummary(_ json: String) -> String {
        let metrics = ModelJSON.object(json)
        return keyMetrics.compactMap { m -> String? in
            guard let n = metrics[m.key] as? NSNumber else { return nil }
            let v = n.doubleValue
            return "\(m.title) " + (v == v.rounded() && abs(v) >= 1 ? String(Int(v)) : String(format: "%.3f", v))
        }.joined(separator: " ")
    }

    /// The text table: one line per model, then each decision under its model.
    static func table(_ entries: [ModelEntry]) -> String {
        let header = ["ver", "status", "kind", "parent", "iter", "oracle", "created", "promoted", "rescored", "metrics"]
        let rows = entries.map { e -> [String] in
            [String(e.version), e.record.status.rawValue, e.kind.rawValue, e.record.parent.map(String.init) ?? "-",
             e.iteration.map(String.init) ?? "-", String(e.oracleLabels), short(e.record.createdAt), short(e.promotedAt),
             short(e.rescoredAt), metricsSummary(e.record.metricsJSON)]
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var out = [line(header)]
        for (e, row) in zip(entries, rows) {
            out.append(line(row))
            if let decision = e.decision { out.append("      decision: \(decision)") }
        }
        return out.joined(separator: "\n")
    }

    /// `2026-11-22 04:31` (UTC), or `-`.
    static func short(_ date: Date?) -> String {
        guard let date else { return "-" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }
}
