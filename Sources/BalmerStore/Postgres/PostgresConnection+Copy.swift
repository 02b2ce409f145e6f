internal import CLibPQ
import Foundation

/// Sends data of a `COPY … FROM STDIN` that is in progress. Obtained from
/// ``PostgresConnection/copyIn(_:_:)``; valid only inside its closure.
public struct CopyInWriter: Sendable {
    let connection: PostgresConnection

    /// Sends one chunk (any split of the COPY stream; 64 KiB–1 MiB chunks are efficient).
    public func send(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await connection.withHandle { conn in
            let status = bytes.withUnsafeBytes { raw in
                PQputCopyData(conn, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
            }
            if status != 1 { throw PostgresConnection.error(conn, nil, kind: .copy) }
        }
    }
}

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (`sql` is a constant statement), lets `produce` send the data,
    /// and finishes the COPY. If `produce` throws, the COPY is aborted and the error rethrown.
    /// - Returns: the number of rows the server stored.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: (CopyInWriter) async throws -> Void) async throws -> Int {
        try await withHandle { conn in
            let result = PQexec(conn, sql)
            defer { PQclear(result) }
            try Self.check(conn, result, expecting: [PGRES_COPY_IN], kind: .copy)
        }
        do {
            try await produce(CopyInWriter(connection: self))
        } catch {
            _ = try? await finishCopyIn(abort: true)
            throw error
        }
        return try await finishCopyIn(abort: false)
    }

    private func finishCopyIn(abort: Bool) async throws -> Int {
        try await withHandle { conn in
            let ended = abort ? PQputCopyEnd(conn, "aborted by the client") : PQputCopyEnd(conn, nil)
            if ended != 1 { throw Self.error(conn, nil, kind: .copy) }
            var firstError: PostgresError?
            var rows = 0
            while let result = PQgetResult(conn) {
                if PQresultStatus(result) == PGRES_COMMAND_OK {
                    rows = Int(String(cString: PQcmdTuples(result))) ?? 0
                } else if firstError == nil {
                    firstError = Self.error(conn, result, kind: .copy)
                }
                PQclear(result)
            }
            if PQstatus(conn) != CONNECTION_OK, firstError == nil {
                firstError = Self.error(conn, nil, kind: .copy)
            }
            if let firstError { throw firstError }
            return rows
        }
    }

    /// Reads whole COPY messages until about `chunkBytes`; `done` once the COPY has ended.
    private func readCopyChunk(_ chunkBytes: Int) async throws -> (bytes: [UInt8], done: Bool) {
        try await withHandle { conn in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(chunkBytes + 4096)
            while buffer.count < chunkBytes {
                var data: UnsafeMutablePointer<CChar>?
                let n = PQgetCopyData(conn, &data, 0)
                if n > 0, let data {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(n)))
                    PQfreemem(data)
                } else if n == -1 {
                    var failure: PostgresError?
                    while let result = PQgetResult(conn) {
                        if PQresultStatus(result) != PGRES_COMMAND_OK, failure == nil {
                            failure = Self.error(conn, result, kind: .copy)
                        }
                        PQclear(result)
                    }
                    if let failure { throw failure }
                    return (buffer, true)
                } else {
                    throw Self.error(conn, nil, kind: .copy)
                }
            }
            return (buffer, false)
        }
    }

    /// Runs `COPY … TO STDOUT` (`sql` is a constant statement) and hands the stream to
    /// `consume` in chunks of whole COPY messages, about `chunkBytes` each (default 1 MiB).
    /// Reading happens on the connection's queue; `consume` runs on the caller's executor.
    public func copyOut(
        _ sql: String, chunkBytes: Int = 1 << 20, _ consume: ([UInt8]) async throws -> Void
    ) async throws {
        try await withHandle { conn in
            let result = PQexec(conn, sql)
            defer { PQclear(result) }
            try Self.check(conn, result, expecting: [PGRES_COPY_OUT], kind: .copy)
        }
        // Double buffering: the next chunk is read on the connection's queue while the
        // current one is consumed.
        var chunk = try await readCopyChunk(chunkBytes)
        var consumerError: (any Error)?
        while true {
            let finished = chunk.done
            async let next = finished ? nil : readCopyChunk(chunkBytes)
            if consumerError == nil, !chunk.bytes.isEmpty {
                // After a consumer error keep draining so the connection stays usable.
                do { try await consume(chunk.bytes) } catch { consumerError = error }
            }
            guard let following = try await next else { break }
            chunk = following
        }
        if let consumerError { throw consumerError }
    }
}
