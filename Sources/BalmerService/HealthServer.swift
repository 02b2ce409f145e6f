#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Prometheus

/// A tiny HTTP/1.0 listener (one thread, one request per connection) for `/metrics`
/// (Prometheus text format 0.0.4), `/healthz` and `/readyz` (200 while ingesting, 503 before and
/// while draining). Bind it to loopback.
///
/// `/healthz` answers 200 while every part of ``ComponentHealth`` (ingest, label ingestion, the
/// campaign loop) is ok or busy, and while draining; 503 when one is stalled or degraded. The
/// body's first line is `ok`, `degraded` or `stalled`, then one line per part with its reason.
public final class HealthServer: Sendable {
    private let fd: Int32
    private let pipeline: IngestPipeline
    private let health: ComponentHealth
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    /// The bound port (useful with port 0).
    public let port: Int

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Serves `registry` (the one the process's `PrometheusMetricsFactory` writes to).
    public init(host: String, port: Int, pipeline: IngestPipeline, health: ComponentHealth, registry: PrometheusCollectorRegistry,
                logger: Logger) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Error(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Error(description: "http.host \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Error(description: "cannot listen on \(host):\(port): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.pipeline = pipeline
        self.health = health
        self.registry = registry
        self.logger = logger
    }

    /// Serves on a thread of its own until the process exits.
    public func start() {
        logger.info("metrics listener started", metadata: ["port": "\(port)"])
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                handle(client)
            }
        }
    }

    /// The `/healthz` answer: status line, content type, body.
    func healthz() -> (String, String, String) {
        if pipeline.isStopping { return ("200 OK", "text/plain", "ok\ndraining\n") }
        let statuses = health.statuses
        let first = statuses.contains { $0.state == .stalled } ? "stalled"
            : statuses.contains { $0.state == .degraded } ? "degraded" : "ok"
        return (first == "ok" ? "200 OK" : "503 Service Unavailable", "text/plain", first + "\n" + health.report)
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(client, &buffer, buffer.count)
        guard n > 0 else { return }
        let requestLine = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = requestLine.split(separator: " ")
        let path = parts.count >= 2 ? String(parts[1]) : "/"
        let (status, type, body): (String, String, String)
        switch path {
        case "/metrics":
            pipeline.refreshGauges()
            _ = health.statuses  // refreshes balmer_component_healthy
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4", registry.emitToString())
        case "/healthz":
            (status, type, body) = healthz()
        case "/readyz":
            (status, type, body) = pipeline.isReady
                ? ("200 OK", "text/plain", "ready\n") : ("503 Service Unavailable", "text/plain", "not ready\n")
        default:
            (status, type, body) = ("404 Not Found", "text/plain", "not found\n")
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + bytes
        var sent = 0
        while sent < response.count {
            let w = response[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if w <= 0 { return }
            sent += w
        }
    }
}
