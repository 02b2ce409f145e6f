/// An answer's place in the labels topic: partition and offset, as balmerd consumed it.
///
/// Answers to one task share the message key (the task id), hence one partition, so within a
/// partition the offset is the order balmerd received them in: unlike the labeller's own clock,
/// it cannot be set to the future, and a replay (reset offsets) reads old answers at their old
/// offsets.
public struct LabelPosition: Sendable, Hashable {
    public var partition: Int32
    public var offset: Int64

    public init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}
