import BalmerDaemonTestSupport
import Foundation

/// The throw-away PostgreSQL cluster that `ops/chaos` started with ops/lib/pg.sh
/// (`BALMER_PG_DIR`, `BALMER_PG_BINDIR`): the matrix restarts it, so it must not be a shared server.
struct ChaosPostgres: Sendable {
    let directory: String
    let binDirectory: String

    init(environment: [String: String]) throws {
        guard let directory = environment["BALMER_PG_DIR"], !directory.isEmpty,
              let binDirectory = environment["BALMER_PG_BINDIR"], !binDirectory.isEmpty,
              FileManager.default.fileExists(atPath: directory + "/data/postmaster.pid") else {
            throw DaemonHarness.ConfigError(
                "BALMER_PG_DIR/BALMER_PG_BINDIR do not name a running ops/lib/pg.sh cluster: run the fault matrix through ops/chaos")
        }
        self.directory = directory
        self.binDirectory = binDirectory
    }

    /// `pg_ctl restart -m fast` (as the cluster's owner when run as root); waits until it accepts connections.
    func restart() async throws {
        try await pgCtl(["-m", "fast", "-w", "-t", "60", "restart"])
    }

    /// `pg_ctl stop -m fast`: every connection ends, new ones are refused until ``start()``.
    func stop() async throws {
        try await pgCtl(["-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Starts the stopped cluster with ops/lib/pg.sh's options (loopback, its port and socket folder).
    func start() async throws {
        guard let port = ProcessInfo.processInfo.environment["BALMER_PG_PORT"], !port.isEmpty else {
            throw DaemonHarness.ConfigError("BALMER_PG_PORT is not set: run the fault matrix through ops/chaos")
        }
        try await pgCtl(["-w", "-t", "60", "-o",
                         "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off -c max_connections=200", "start"])
    }

    /// Runs `pg_ctl ARGUMENTS` on the cluster as its owner and waits for it.
    private func pgCtl(_ arguments: [String]) async throws {
        var command = [binDirectory + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log"] + arguments
        if getuid() == 0 { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        // Output to a file, not a pipe: the restarted server may keep inherited descriptors open.
        let log = directory + "/pg_ctl-\(arguments.last ?? "run").log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let status = try await Self.exitStatus(of: process)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw DaemonHarness.ConfigError("pg_ctl \(arguments.last ?? "") failed (\(status)): \(text)")
        }
    }

    /// Waits for `process` with `waitpid` (polled): Foundation's own exit monitoring missed the
    /// exit of `runuser` here and left `waitUntilExit` hanging on a zombie.
    private static func exitStatus(of process: Process) async throws -> Int32 {
        let pid = process.processIdentifier
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if !process.isRunning { return process.terminationStatus }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DaemonHarness.ConfigError("pg_ctl restart did not finish within 120 s")
    }
}
