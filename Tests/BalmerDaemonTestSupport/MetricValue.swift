/// Reading Prometheus text served by `balmerd`'s `/metrics`.

/// The value of the first sample named `name` (without labels) in Prometheus text.
public func metricValue(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.split(separator: " ")[1])
    }
    return nil
}
