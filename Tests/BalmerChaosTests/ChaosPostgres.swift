import BalmerDaemonTestSupport
import BalmerTestSupport
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
        var command = [binDirectory + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log",
                       "-m", "fast", "-w", "-t", "60", "restart"]
        if getuid() == 0 { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        let argv = command
        let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CommandRunner.Output, Error>) in
            Thread.detachNewThread {
                do { continuation.resume(returning: try CommandRunner.run(argv[0], Array(argv.dropFirst()))) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        guard output.status == 0 else {
            throw DaemonHarness.ConfigError("pg_ctl restart failed (\(output.status)): \(output.stderr) \(output.stdout)")
        }
    }
}
