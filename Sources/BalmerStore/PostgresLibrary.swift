internal import CLibPQ

/// Facts about the linked libpq.
public enum PostgresLibrary {
    /// libpq's version as an integer, e.g. 150018 for 15.18.
    public static var version: Int { Int(PQlibVersion()) }
}
