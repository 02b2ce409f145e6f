#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A TCP forwarder on loopback that a test controls, for network faults between balmerd and
/// PostgreSQL: ``cut()`` makes the path a black hole (bytes in either direction are held back and
/// new connections hang unanswered, as when a switch or a firewall drops packets: no reset reaches
/// either side), ``restore()`` forwards again, ``reset()`` closes every connection at once.
///
/// One thread accepts; each connection gets one thread that shuttles bytes both ways with `poll`.
/// Only loopback addresses are used: the listener binds 127.0.0.1, the target is a loopback port.
public final class TCPProxy: Sendable {
    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var cut = false
        var closed = false
        var generation = 0
        var connections = 0
    }

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Forwards 127.0.0.1:`port` (a free one) to 127.0.0.1:`targetPort`.
    public init(targetPort: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Error(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw Error(description: "cannot listen: \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        self.targetPort = targetPort
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Holds every byte back (both ways, on open and new connections) until ``restore()``.
    public func cut() { state.withLock { $0.cut = true } }

    /// Forwards again; held bytes flow on.
    public func restore() { state.withLock { $0.cut = false } }

    /// Closes every open connection (their peers see a reset or EOF); new ones are accepted.
    public func reset() { state.withLock { $0.generation += 1 } }

    /// Connections open now.
    public var openConnections: Int { state.withLock { $0.connections } }

    /// Stops accepting and closes every connection.
    public func shutdown() {
        state.withLock {
            $0.closed = true
            $0.generation += 1
        }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if state.withLock({ $0.closed }) {
                close(client)
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    /// Connects to the target (waiting while cut, as a dropped SYN would) and shuttles bytes.
    private func serve(_ client: Int32) {
        let generation = state.withLock {
            $0.connections += 1
            return $0.generation
        }
        defer {
            close(client)
            state.withLock { $0.connections -= 1 }
        }
        func alive() -> Bool { state.withLock { !$0.closed && $0.generation == generation } }
        func isCut() -> Bool { state.withLock { $0.cut } }
        while isCut() {
            guard alive() else { return }
            usleep(50_000)
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        var address = Self.loopback(port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        while alive() {
            if isCut() {
                usleep(50_000)
                continue
            }
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, 100)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if ready == 0 { continue }
            for (from, to) in [(0, 1), (1, 0)] where fds[from].revents != 0 {
                let n = read(fds[from].fd, &buffer, buffer.count)
                if n <= 0 { return }
                var sent = 0
                while sent < n {
                    let w = buffer[sent..<n].withUnsafeBytes { write(fds[to].fd, $0.baseAddress, $0.count) }
                    if w <= 0 { return }
                    sent += w
                }
            }
        }
    }
}
