import Foundation

/// Creates or updates Balmer's two roles in the current database and schema:
/// a writer (the daemon: read and write every table, no DDL) and a read-only role
/// (downstream tools: SELECT only, and `default_transaction_read_only`).
///
/// Names travel as parameters and are quoted with `format('%I')`; passwords are hashed to a
/// SCRAM-SHA-256 verifier by libpq on the client, so the server never sees them in plain text.
/// The same grant as a psql script is `ops/sql/roles.sql`.
public struct RoleGrant: Sendable {
    public var writer: String
    public var writerPassword: String?
    public var reader: String
    public var readerPassword: String?

    public init(writer: String = "balmer_writer", writerPassword: String? = nil,
                reader: String = "balmer_reader", readerPassword: String? = nil) {
        self.writer = writer
        self.writerPassword = writerPassword
        self.reader = reader
        self.readerPassword = readerPassword
    }

    /// The grant, with names and verifiers read from `balmer.*` settings of the transaction.
    static let script = """
        DO $grant$
        DECLARE
            w  text := current_setting('balmer.writer_role');
            wp text := nullif(current_setting('balmer.writer_verifier', true), '');
            r  text := current_setting('balmer.reader_role');
            rp text := nullif(current_setting('balmer.reader_verifier', true), '');
            s  text := current_schema();
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = w) THEN
                EXECUTE format('CREATE ROLE %I LOGIN', w);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
                EXECUTE format('CREATE ROLE %I LOGIN', r);
            END IF;
            IF wp IS NOT NULL THEN EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', w, wp); END IF;
            IF rp IS NOT NULL THEN EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', r, rp); END IF;
            EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', r);
            EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), w);
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r);
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', s, w, r);
            EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, r);
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, w);
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.balmer_migrations FROM %I', s, w);
            EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, w);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', s, r);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', s, w);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', s, w);
        END
        $grant$
        """

    /// Applies the grant on `connection` (a superuser or a role with CREATEROLE owning the schema).
    /// Run after `migrate`: it covers the tables that exist and, by default privileges, later ones.
    public func apply(_ connection: PostgresConnection) async throws {
        for name in [writer, reader] where name.isEmpty || name.utf8.count > 63 {
            throw PostgresError(.usage, message: "role names must be 1 to 63 bytes")
        }
        let writerVerifier = try await writerPassword.asyncMap { try await connection.encryptedPassword($0, user: writer) }
        let readerVerifier = try await readerPassword.asyncMap { try await connection.encryptedPassword($0, user: reader) }
        try await connection.transaction { c in
            try await c.query("""
                SELECT set_config('balmer.writer_role', $1, true), set_config('balmer.writer_verifier', $2, true),
                       set_config('balmer.reader_role', $3, true), set_config('balmer.reader_verifier', $4, true)
                """, [writer, writerVerifier ?? "", reader, readerVerifier ?? ""])
            try await c.runScript(Self.script)
        }
    }
}

extension Optional {
    fileprivate func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        switch self {
        case .some(let v): try await transform(v)
        case .none: nil
        }
    }
}
