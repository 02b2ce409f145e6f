/// Per-spectrum scaling of a feature vector, as in the paper: min–max onto [-1, 1].
public enum FeatureScaling {
    /// Scales `values` in place so that its minimum maps to -1 and its maximum to +1.
    ///
    /// Returns `false` (and leaves `values` unchanged) when the vector is empty, flat (max == min,
    /// or a range so small that 2 / range overflows) or holds a non-finite value; callers treat
    /// that as a reject.
    @discardableResult
    public static func minMax(_ values: inout [Float]) -> Bool {
        guard var lo = values.first, var hi = values.first else { return false }
        for v in values {
            guard v.isFinite else { return false }
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        let range = hi - lo
        guard range > 0, range.isFinite else { return false }
        let scale = 2 / range
        guard scale.isFinite else { return false }
        for i in values.indices { values[i] = (values[i] - lo) * scale - 1 }
        return true
    }
}
