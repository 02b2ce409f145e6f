import BalmerDaemonTestSupport
@testable import BalmerService
import Foundation
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// ``DaemonService`` in-process (mock cluster, the throw-away PostgreSQL) under
/// ServiceLifecycleTestKit's graceful shutdown, which is what its `ServiceGroup` does on SIGTERM.
@Suite(.serialized) struct DaemonServiceTests {
    /// READY=1 once running; a graceful shutdown logs the drain with its bound, tells systemd
    /// STOPPING=1, stops every part, and `run()` returns without an error and without the hard stop.
    @Test(.timeLimit(.minutes(3))) func gracefulShutdownDrainsAndReturns() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_service")
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let notify = try NotifyListener(directory: dir)
        defer { notify.close() }
        let capture = LogCapture()
        let logger = capture.logger("balmerd")
        try await DaemonHarness.prepare(schema: schema)
        let reader = try ConfigReader(
            arguments: ["--database.url", try DaemonHarness.writerURL(), "--database.schema", schema, "--model.file", model,
                        "--kafka.brokers", cluster.bootstrapServers, "--http.port", "0", "--shutdown.timeout-seconds", "45"],
            environment: [:])
        let configuration = try DaemonConfiguration(config: reader)
        let services = try await Daemon.build(configuration, logger: logger)
        defer { Task { try? await DaemonHarness.dropSchema(schema) } }
        let hardStops = Atomic<Int>(0)
        let service = DaemonService(services: services, notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path]),
                                    shutdownTimeoutSeconds: configuration.shutdownTimeoutSeconds, logger: logger,
                                    hardStop: { hardStops.add(1, ordering: .relaxed) })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                #expect(try await DaemonHarness.eventually(timeout: .seconds(30)) {
                    notify.contains("READY=1") && services.pipeline.isReady
                }, "not ready: \(capture.all.suffix(5))")
                #expect(!notify.contains("STOPPING=1"))
                #expect(!services.pipeline.isStopping)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }

        let lines = capture.all
        #expect(lines.contains { $0.hasPrefix("notice balmerd stop requested: draining") && $0.contains("timeout.s=45") })
        #expect(lines.contains { $0.hasPrefix("notice balmerd ingest stopped") })
        #expect(lines.last { $0.hasPrefix("notice balmerd ") }?.hasPrefix("notice balmerd stopped") == true,
                "the last notice is not the final stop: \(lines.suffix(5))")
        #expect(notify.contains("STOPPING=1"))
        #expect(services.pipeline.isStopping)
        #expect(!lines.contains { $0.contains("drain exceeded") })
        #expect(hardStops.load(ordering: .relaxed) == 0)
    }
}
