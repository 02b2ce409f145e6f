import BalmerBus
import BalmerCore
import BalmerService
import BalmerStore
import BalmerTestSupport
import Foundation
import Testing

/// The active-learning loop with the real daemon, mock cluster, PostgreSQL and a simulated oracle.
@Suite(.serialized) struct CampaignLoopTests {
    @Test func smallCampaignRunsToTheEnd() async throws {
        let h = try await CampaignHarness.make()
        defer { Task { await h.cleanUp() } }
        let daemon = try h.daemon("campaign")
        defer { daemon.kill9() }
        let labeller = try SimulatedLabeller(harness: h)
        try await h.publishRelease()

        let finished = try await DaemonHarness.eventually(timeout: .seconds(420)) {
            try await h.store.campaign().finishedAt != nil || !daemon.process.isRunning
        }
        await labeller.stop()
        #expect(finished, "campaign did not finish; log tail:\n\(daemon.log.suffix(3000))")
        #expect(daemon.process.isRunning, "daemon exited: \(daemon.log.suffix(2000))")

        let store = h.store
        let campaign = try await store.campaign()
        let iterations = try await store.iterations()
        let models = try await store.modelEntries()
        // Iterations ran with precision estimates; the campaign converged or hit the iteration limit.
        #expect(iterations.count >= 2, "log: \(daemon.log.split(separator: "\n").filter { $0.contains("notice") || $0.contains("error") }.suffix(40).joined(separator: "\n"))")
        #expect(iterations.contains { $0.precisionEstimate != nil })
        #expect(campaign.convergedAt != nil || iterations.count >= 4)
        // Lineage: every trained model descends from the one before; the final model is active.
        let final = try #require(campaign.finalModel)
        #expect(try await store.activeModel()?.version == final)
        for m in models where m.kind == .loop || m.kind == .final { #expect(m.record.parent != nil) }
        #expect(models.contains { $0.kind == .final } || models.contains { $0.decision?.contains("rejected") == true })
        // Every task was answered exactly once, and each answer is stored as a label.
        let answered = labeller.answered
        let summary = try await store.taskSummary()
        #expect(summary.open == 0)
        #expect(summary.answeredBy["oracle"] == answered.count)
        // Ingest balanced; the whole pool is scored by the final model.
        let stored = try await DaemonHarness.count(store, "SELECT count(*) FROM spectra WHERE survey = 'LAMOST'")
        let rejected = try await DaemonHarness.count(store, "SELECT count(*) FROM rejects WHERE source = 'ingest'")
        #expect(stored + rejected == h.poolPaths.count)
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra s WHERE NOT EXISTS (SELECT 1 FROM scores sc WHERE sc.spectrum_id = s.id AND sc.model_version = \(final))") == 0)
        // Candidates: true precision and recall from the simulation's truth.
        let candidates = try await store.candidates(CandidateQuery())
        #expect(!candidates.isEmpty)
        let correct = candidates.filter { h.truth[URL(fileURLWithPath: $0.location).lastPathComponent] == $0.finalClass }.count
        let targets = h.truth.values.filter(\.isTarget).count
        let found = candidates.filter { h.truth[URL(fileURLWithPath: $0.location).lastPathComponent]?.isTarget == true }.count
        print("campaign: iterations \(iterations.map { ($0.iteration, $0.precisionEstimate ?? -1) }), models \(models.map { ($0.version, $0.kind.rawValue, $0.record.status.rawValue) }), candidates \(candidates.count), true precision \(Double(correct) / Double(candidates.count)), recall \(Double(found) / Double(targets))")
        #expect(Double(found) / Double(targets) > 0.5)
        #expect(await daemon.terminate() == 0)
    }
}
