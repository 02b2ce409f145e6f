import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

/// Keepalives, statement / lock / idle-in-transaction timeouts, and which errors are worth retrying.
@Suite struct SessionSettingsTests {
    @Test func keepalivesAreAddedUnlessTheURLSetsThem() {
        func value(_ key: String, _ configuration: PostgresConfiguration) -> [String] {
            configuration.connectionParameters.filter { $0.0 == key }.map(\.1)
        }
        let plain = PostgresConfiguration(url: "postgresql://u@h/db")
        #expect(value("keepalives", plain) == ["1"])
        #expect(value("keepalives_idle", plain) == ["30"])
        #expect(value("keepalives_interval", plain) == ["10"])
        #expect(value("keepalives_count", plain) == ["3"])
        #expect(value("tcp_user_timeout", plain) == ["60000"])
        let uri = PostgresConfiguration(url: "postgresql://u@h/db?sslmode=require&keepalives_idle=5&tcp_user_timeout=1000")
        #expect(value("keepalives_idle", uri).isEmpty)
        #expect(value("tcp_user_timeout", uri).isEmpty)
        #expect(value("keepalives", uri) == ["1"])
        let keywords = PostgresConfiguration(url: "host=h dbname=db keepalives=0")
        #expect(value("keepalives", keywords).isEmpty)
        #expect(value("keepalives_count", keywords) == ["3"])
    }

    @Test func timeoutsAreSessionSettings() async throws {
        let url = try TestDatabase.url()
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: url))
        let defaults = try await c.query("""
            SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),
                   current_setting('idle_in_transaction_session_timeout')
            """).first!
        #expect(try defaults.decode(0, as: String.self) == "10min")
        #expect(try defaults.decode(1, as: String.self) == "30s")
        #expect(try defaults.decode(2, as: String.self) == "5min")
        let none = try await PostgresConnection.connect(PostgresConfiguration(
            url: url, statementTimeoutMilliseconds: 0, lockTimeoutMilliseconds: nil, idleInTransactionTimeoutMilliseconds: 1234))
        #expect(try await none.query("SELECT current_setting('statement_timeout')").first!.decode(0, as: String.self) == "0")
        #expect(try await none.query("SELECT current_setting('idle_in_transaction_session_timeout')").first!
            .decode(0, as: String.self) == "1234ms")
    }

    /// A statement over `statement_timeout` fails with 57014 and a lock wait over `lock_timeout`
    /// with 55P03: both transient (callers retry); the connection stays usable.
    @Test func timeoutsAreTransientErrors() async throws {
        try await TestDatabase.withStore { _, db in
            var configuration = db.configuration
            configuration.statementTimeoutMilliseconds = 300
            configuration.lockTimeoutMilliseconds = 200
            let c = try await PostgresConnection.connect(configuration)
            let slow = await #expect(throws: PostgresError.self) { try await c.query("SELECT pg_sleep(3)") }
            #expect(slow?.sqlState == PostgresError.queryCanceled)
            #expect(slow?.isTransient == true)

            let holder = try await PostgresConnection.connect(db.configuration)
            try await holder.query("BEGIN")
            try await holder.query("LOCK TABLE rejects IN ACCESS EXCLUSIVE MODE")
            let waited = await #expect(throws: PostgresError.self) { try await c.query("SELECT count(*) FROM rejects") }
            #expect(waited?.sqlState == PostgresError.lockNotAvailable)
            #expect(waited?.isTransient == true)
            try await holder.query("ROLLBACK")
            #expect(try await c.query("SELECT count(*) FROM rejects").first!.decode(0, as: Int.self) == 0)
        }
    }
}
