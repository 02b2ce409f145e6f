import BalmerDaemonTestSupport
import Foundation
import Testing

/// The fault matrix (issue 10), run by `ops/chaos`: each fault of ``ChaosFault`` struck at two
/// `balmerd` in one consumer group while they ingest a stream; after each, every event is stored
/// exactly once or rejected with a reason, consumed = stored + rejected (+ dropped), the daemons
/// are healthy and exit 0 on SIGTERM. Prints the fault × outcome table (and writes it to
/// `BALMER_CHAOS_REPORT`). Size: `BALMER_CHAOS_EVENTS` events over the whole matrix.
@Suite(.serialized) struct ChaosMatrixTests {
    @Test func faultMatrix() async throws {
        let settings = try ChaosSettings()
        let directory = try DaemonHarness.temporaryDirectory()
        let files = try DaemonHarness.writeSpectra(count: settings.fileCount, to: directory)
        let model = try DaemonHarness.writeModel(to: directory)
        progress("chaos: \(settings.totalEvents) events over \(ChaosFault.allCases.count) scenarios (running \(settings.faults.count)), \(files.count) files in \(directory)")

        var outcomes: [ChaosOutcome] = []
        var notes: [String] = []
        for fault in settings.faults {
            let outcome: ChaosOutcome
            if fault == .campaign {
                let campaign = ChaosCampaign(settings: settings, directory: directory)
                outcome = await campaign.run()
                notes.append("campaign row: " + campaign.steps.joined(separator: "; "))
            } else {
                let scenario = ChaosScenario(fault: fault, settings: settings, files: files, directory: directory, model: model)
                outcome = await scenario.run()
                notes += scenario.notes
            }
            progress("chaos: \(fault.rawValue): \(outcome.passed ? "PASS" : "FAIL") in \(String(format: "%.1f", outcome.seconds)) s")
            outcomes.append(outcome)
        }
        let table = ChaosOutcome.table(outcomes) + (notes.isEmpty ? "" : "\n" + notes.map { "- " + $0 }.joined(separator: "\n") + "\n")
        print("\n" + table)
        if let path = settings.reportPath { try table.write(toFile: path, atomically: true, encoding: .utf8) }
        for outcome in outcomes {
            #expect(outcome.passed, "\(outcome.fault.rawValue):\n\(outcome.problems.joined(separator: "\n"))")
        }
        #expect(outcomes.count == settings.faults.count)
        if settings.faults.count == ChaosFault.allCases.count {
            #expect(outcomes.filter { $0.fault != .campaign }.map(\.published).reduce(0, +) >= settings.totalEvents)
        }
        if outcomes.allSatisfy(\.passed) { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// A progress line on stderr (unbuffered, so ops/chaos shows it as it happens).
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
