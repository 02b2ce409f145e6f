/// One versioned schema change: constant SQL, applied once, recorded in `balmer_migrations`.
public struct Migration: Sendable {
    /// Positive, increasing.
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Balmer's migrations, in order. Append new ones; never edit an applied one.
    public static let all: [Migration] = [
        Migration(version: 1, name: "core tables", sql: SchemaV1.sql),
        Migration(version: 2, name: "candidates view", sql: SchemaV2.sql),
        Migration(version: 3, name: "active-learning loop", sql: SchemaV3.sql),
        Migration(version: 4, name: "label receive order and signatures", sql: SchemaV4Labels.sql),
    ]
}
