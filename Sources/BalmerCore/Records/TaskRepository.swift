import Foundation

/// Labelling tasks.
public protocol TaskRepository: Sendable {
    /// Stores tasks keyed by id; replays change nothing.
    func upsertTasks(_ tasks: [TaskRecord]) async throws
    func task(id: String) async throws -> TaskRecord?
    /// Open tasks, optionally of one kind, oldest first.
    func openTasks(kind: TaskKind?) async throws -> [TaskRecord]
    /// Marks a task answered (idempotent). Returns `false` when no such task exists.
    func markTaskAnswered(id: String, at: Date) async throws -> Bool
}
