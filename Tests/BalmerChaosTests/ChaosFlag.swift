import Synchronization

/// A flag set once from any task (e.g. "the publishing task finished").
final class ChaosFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
