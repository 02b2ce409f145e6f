import BalmerCore
import BalmerStore
import Testing

/// Which store failures are retried (transient), which isolate rows (permanent) and which wait for
/// an operator (systemic: every row would fail alike).
@Suite struct PostgresErrorClassTests {
    static func statement(_ state: String?) -> PostgresError { PostgresError(.statement, sqlState: state, message: "x") }

    @Test(arguments: ["08000", "08003", "08006", "08P01", "40001", "40P01", "57P01", "57P02", "57P03", "53000", "53100",
                      "53200", "53300", "55P03", "57014"])
    func transientStates(_ state: String) {
        #expect(Self.statement(state).errorClass == .transient, "\(state)")
        #expect(PostgresError(.copy, sqlState: state, message: "x").isTransient, "\(state)")
    }

    @Test(arguments: ["22021", "22001", "22P02", "22003", "23502", "23503", "23505", "23514", "54000", "54001",
                      "XX000", "P0001", "55000", "57000"])
    func permanentStates(_ state: String) {
        #expect(Self.statement(state).errorClass == .permanent, "\(state)")
        #expect(!Self.statement(state).isTransient, "\(state)")
    }

    @Test(arguments: ["42501", "42601", "42P01", "42703", "28000", "28P01", "0A000", "25006", "3D000", "3F000"])
    func systemicStates(_ state: String) {
        #expect(Self.statement(state).errorClass == .systemic, "\(state)")
        #expect(!Self.statement(state).isTransient, "\(state)")
    }

    @Test func kinds() {
        #expect(PostgresError(.connection, message: "refused").errorClass == .transient)
        #expect(PostgresError(.connectionLost, sqlState: "22021", message: "gone").errorClass == .transient)
        #expect(PostgresError(.decoding, message: "not an int").errorClass == .permanent)
        #expect(PostgresError(.usage, message: "bad schema").errorClass == .permanent)
        // A statement that failed without any SQLSTATE: libpq lost the server on the way.
        #expect(Self.statement(nil).errorClass == .transient)
        #expect(Self.statement("XYZ").errorClass == .transient)  // not a SQLSTATE
    }

    @Test func anyError() {
        struct Other: Error {}
        #expect(StoreErrorClass.of(Self.statement("54000")) == .permanent)
        #expect(StoreErrorClass.of(Self.statement("40P01")) == .transient)
        #expect(StoreErrorClass.of(RepositoryError.badFeatureCount(100)) == .permanent)
        #expect(StoreErrorClass.of(Other()) == .transient)
        #expect(StoreErrorClass.of(CancellationError()) == .transient)
    }
}
