import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

@Suite struct CoordinationTests {
    @Test func advisoryLockElectsOneLeader() async throws {
        let config = PostgresConfiguration(url: try TestDatabase.url())
        let key = AdvisoryLockKey(name: TestDatabase.uniqueName("leader"))
        let a = AdvisoryLeader(key: key, configuration: config)
        let b = AdvisoryLeader(key: key, configuration: config)
        #expect(try await a.tryAcquire())
        #expect(try await !b.tryAcquire())
        #expect(try await a.tryAcquire())  // re-entrant for the holder
        await a.resign()
        #expect(await !a.isLeader())
        #expect(try await b.tryAcquire())
        #expect(try await !a.tryAcquire())

        // The server releases the lock when the holder's session dies.
        let admin = try await PostgresConnection.connect(config)
        let holder = try await admin.query(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ($1::bigint & 4294967295)::oid AND granted",
            [key.rawValue]).first?.decode(0, as: Int.self)
        let pid = try #require(holder)
        try await admin.query("SELECT pg_terminate_backend($1::integer)", [Int32(pid)])
        var acquired = false
        for _ in 0..<50 where !acquired {
            acquired = try await a.tryAcquire()
            if !acquired { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(acquired)
        #expect(try await !b.tryAcquire())  // b notices its connection is gone and does not get it
        await a.resign()
    }

    @Test func transactionLocksSerializeAndRelease() async throws {
        let config = PostgresConfiguration(url: try TestDatabase.url())
        let key = AdvisoryLockKey(name: TestDatabase.uniqueName("xact"))
        let a = try await PostgresConnection.connect(config)
        let b = try await PostgresConnection.connect(config)
        let (mine, theirs) = try await a.transaction { a in
            (try await a.tryTransactionAdvisoryLock(key), try await b.tryAdvisoryLock(key))
        }
        #expect(mine)
        #expect(!theirs)
        #expect(try await b.tryAdvisoryLock(key))
        #expect(try await b.advisoryUnlock(key))
        #expect(try await !b.advisoryUnlock(key))
        let value = try await a.withAdvisoryLock(key) { _ in try await !b.tryAdvisoryLock(key) }
        #expect(value)
        #expect(try await b.tryAdvisoryLock(key))
    }

    @Test func brokenConnectionMidTransactionSurfacesAndPoolRecovers() async throws {
        try await TestDatabase.withStore(maxConnections: 1) { store, db in
            let admin = try await db.adminConnection()
            var victim: Int32 = 0
            let error = await #expect(throws: PostgresError.self) {
                try await store.pool.transaction { c in
                    victim = c.backendPID
                    try await c.query("INSERT INTO rejects (source, key, reason, payload, rejected_at) VALUES ('t', 'k', 'r', '\\x00', now())")
                    try await admin.query("SELECT pg_terminate_backend($1::integer)", [c.backendPID])
                    try await c.query("SELECT 1")
                }
            }
            #expect(error?.kind == .connectionLost)
            #expect(error.map { "\($0)".contains("connection") || "\($0)".contains("terminat") } == true)
            // The pool drops the dead connection and serves the next caller with a new one.
            let pid = try await store.pool.withConnection { c in c.backendPID }
            #expect(pid != victim)
            #expect(try await store.rejectCount(source: nil) == 0)  // the transaction did not commit
            _ = try await store.upsertSpectra([Fixtures.spectrum(1)])
            #expect(try await store.spectrumCount() == 1)
        }
    }
}

@Suite struct PoolRecoveryTests {
    @Test func idleConnectionKilledByServerIsReplacedTransparently() async throws {
        try await TestDatabase.withStore(maxConnections: 1) { store, db in
            _ = try await store.upsertSpectra([Fixtures.spectrum(1)])
            let victim = try await store.pool.withConnection { $0.backendPID }
            let admin = try await db.adminConnection()
            try await admin.query("SELECT pg_terminate_backend($1::integer)", [victim])
            // The repository retries once on a fresh connection.
            #expect(try await store.spectrumCount() == 1)
            let pid = try await store.pool.withConnection { $0.backendPID }
            #expect(pid != victim)
            #expect(await store.pool.openConnections == 1)
        }
    }
}
