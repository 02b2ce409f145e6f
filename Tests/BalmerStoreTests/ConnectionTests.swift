import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

@Suite struct ConnectionTests {
    @Test func roundTripsTypedParameters() async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try TestDatabase.url()))
        let date = Date(timeIntervalSince1970: 1_750_000_000.123456)
        let row = try #require(try await c.query(
            "SELECT $1::bigint, $2::float8, $3::text, $4::bytea, $5::timestamptz, $6::real[], $7::boolean, $8::text, $9::jsonb",
            [Int64(-42), 3.25, "héllo", Data([0, 255, 7]), date, [Float(1.5), -2], true, String?.none,
             PostgresValue.jsonb(#"{"a": 1}"#)]).first)
        #expect(try row.decode(0, as: Int64.self) == -42)
        #expect(try row.decode(1, as: Double.self) == 3.25)
        #expect(try row.decode(2, as: String.self) == "héllo")
        #expect(try row.decode(3, as: Data.self) == Data([0, 255, 7]))
        #expect(abs(try row.decode(4, as: Date.self).timeIntervalSince(date)) < 1e-5)
        #expect(try row.decode(5, as: [Float].self) == [1.5, -2])
        #expect(try row.decode(6, as: Bool.self))
        #expect(try row.decode(7, as: String?.self) == nil)
        #expect(try row.decode(8, as: String.self) == #"{"a": 1}"#)
        #expect(throws: PostgresError.self) { try row.decode(7, as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode(2, as: Int.self) }
    }

    @Test func errorsCarrySQLStateButNotParameters() async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try TestDatabase.url()))
        let error = await #expect(throws: PostgresError.self) {
            try await c.query("SELECT $1::text::integer", ["hunter2-secret"])
        }
        #expect(error?.sqlState == "22P02")
        #expect(error?.kind == .statement)
        #expect(error.map { !"\($0)".contains("hunter2") } == true)
        #expect(error.map { "\($0)".contains("22P02") } == true)
        // The connection stays usable after a statement error.
        #expect(try await c.query("SELECT 1::integer").first?.decode(0, as: Int.self) == 1)
        let syntax = await #expect(throws: PostgresError.self) { try await c.query("SELEC 1") }
        #expect(syntax?.sqlState == "42601")
    }

    @Test func connectionErrorsDoNotLeakPasswords() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(
                PostgresConfiguration(url: "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nowhere", connectTimeout: 2))
        }
        #expect(error?.kind == .connection)
        #expect(error.map { !"\($0)".contains("s3cr3t") } == true)
        // libpq quotes a malformed URL back: the password part must still not appear.
        let echoed = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(url: "postgresql://u:ab%zzhunter2@127.0.0.1:1/x"))
        }
        #expect(echoed.map { "\($0)".contains("percent") && !"\($0)".contains("hunter2") } == true)
        let keyword = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(
                PostgresConfiguration(url: "host=127.0.0.1 port=1 connect_timeout=2", password: "kw-secret"))
        }
        #expect(keyword.map { !"\($0)".contains("kw-secret") } == true)
    }

    @Test func transactionRollsBackOnThrownError() async throws {
        try await TestDatabase.withSchema { db in
            let c = try await PostgresConnection.connect(db.configuration)
            try await Migrator(logger: TestDatabase.logger).migrate(c)
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await c.transaction { t in
                    try await t.query(
                        "INSERT INTO rejects (source, key, reason, payload, rejected_at) VALUES ('t', 'k', 'r', '\\x00', now())")
                    throw Boom()
                }
            }
            #expect(try await c.query("SELECT count(*) FROM rejects").first?.decode(0, as: Int.self) == 0)
            #expect(c.isIdleAndHealthy)
        }
    }

    @Test func copyInTextAndBinaryCopyOut() async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try TestDatabase.url()))
        try await c.query("CREATE TEMP TABLE t (id bigint, v bytea)")
        let n = try await c.copyIn("COPY t FROM STDIN (FORMAT text)") { w in
            var text = ""
            for i in 0..<1000 { text += "\(i)\t\\\\x0102\n" }
            let bytes = Array(text.utf8)
            // Split at an arbitrary point: COPY data need not align with rows.
            try await w.send(Array(bytes[..<777]))
            try await w.send(Array(bytes[777...]))
        }
        #expect(n == 1000)
        var decoder = BinaryCopyDecoder()
        var ids: [Int64] = []
        var chunks = 0
        try await c.copyOut("COPY (SELECT id, v FROM t ORDER BY id) TO STDOUT (FORMAT binary)", chunkBytes: 4096) { chunk in
            chunks += 1
            // Feed in two uneven pieces to exercise rows split across chunks.
            let cut = chunk.count / 3
            try decoder.feed(Array(chunk[..<cut])) { row in ids.append(try row.int64(0)) }
            try decoder.feed(Array(chunk[cut...])) { row in
                ids.append(try row.int64(0))
                #expect(row.bytes(1) == [1, 2])
            }
        }
        #expect(ids == (0..<1000).map(Int64.init))
        #expect(decoder.finished)
        #expect(chunks > 1)
        // An aborted COPY leaves nothing behind and the connection usable.
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await c.copyIn("COPY t FROM STDIN (FORMAT text)") { w in
                try await w.send(Array("5000\t\\\\x00\n".utf8))
                throw Stop()
            }
        }
        #expect(try await c.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self) == 1000)
    }
}

@Suite struct CancellationTests {
    @Test func cancellingTheTaskCancelsTheStatement() async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try TestDatabase.url()))
        let start = ContinuousClock.now
        let task = Task { try await c.query("SELECT pg_sleep(20)") }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - start < .seconds(10))
        guard case .failure(let error as PostgresError) = result else {
            Issue.record("expected a PostgresError, got \(result)")
            return
        }
        #expect(error.sqlState == "57014")
        #expect(try await c.query("SELECT 2::integer").first?.decode(0, as: Int.self) == 2)
    }
}
