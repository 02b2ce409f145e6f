import BalmerTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `balmer label` end to end: the interactive client driven through tmux as a person would, the
/// `--answers` and `--simulate` modes, and its errors, against `balmer kafka mock` clusters.
@Suite struct LabelCommandTests {
    // MARK: Interactive, in tmux

    @Test(.timeLimit(.minutes(2)))
    func interactiveSessionsAnswerUndoSkipAndResume() async throws {
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        defer { mock.stop() }
        let directory = try temporaryDirectory("balmer-label")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ids = (1...6).map { "t\($0)" }
        try await mock.sendTasks(ids.map { LabelTaskJSON.task($0) }, directory: directory)
        let tmux = try Tmux()
        defer { tmux.killServer() }
        let group = "labellers-\(UUID().uuidString.prefix(6))"
        let command = [BuiltProducts.path(of: "balmer"), "label", "--brokers", mock.bootstrapServers, "--group", group]

        // Session 1 (alice): answer two, undo the second and correct it, skip one, quit.
        try tmux.start(command + ["--labeller", "alice"])
        let a = try await tmux.waitForTask()
        tmux.keys("s")
        try await tmux.waitFor("answered 1 ")
        let b = try await tmux.waitForTask(not: [a])
        tmux.keys("d")
        try await tmux.waitFor("answered 2 ")
        tmux.keys("u")
        try await tmux.waitFor("CORRECTING (was double) · Task \(b) ")
        tmux.keys("o")
        try await tmux.waitFor("corrected \(b): double → other")
        let c = try await tmux.waitForTask(not: [a, b])
        tmux.keys("k")
        try await tmux.waitFor("skipped 1")
        _ = try await tmux.waitForTask(not: [a, b, c])
        tmux.keys("q")
        let first = try await tmux.waitFor("EXIT:")
        #expect(first.contains("EXIT:0"))
        #expect(first.contains("alice: answered 2 (single 1, double 0, other 1), skipped 1, corrections 1, malformed 0"), "\(first)")

        // Session 2 (bob, same group): only the tasks alice did not answer come, the skipped one included.
        try tmux.start(command + ["--labeller", "bob"])
        _ = try await tmux.waitForTask()
        // A larger terminal (SIGWINCH) gets a larger screen: the SIMBAD address now fits on its line.
        tmux.resize(columns: 130, rows: 40)
        try await tmux.waitFor("&Radius=10&Radius.unit=arcsec\nVizieR")
        var seen: [String] = []
        let keys = ["s", "d", "o", "s"]
        for index in 0..<4 {
            let task = try await tmux.waitForTask(not: seen)
            seen.append(task)
            tmux.keys(keys[index])
            try await tmux.waitFor("answered \(index + 1) ")
        }
        try await tmux.waitFor("Waiting for tasks")
        tmux.keys("q")
        let second = try await tmux.waitFor("EXIT:")
        #expect(second.contains("EXIT:0"))
        #expect(second.contains("bob: answered 4 (single 2, double 1, other 1), skipped 0, corrections 0"), "\(second)")
        #expect(Set(seen) == Set(ids).subtracting([a, b]), "bob saw \(seen); alice answered \(a), \(b)")
        #expect(seen.contains(c))

        // Exactly one answer per task, plus alice's correction.
        let labels = try await mock.readLabels(expect: 7)
        #expect(labels.count == 7, "\(labels)")
        let firsts = labels.filter { $0["corrects"] == nil }
        #expect(firsts.map { $0["task_id"] as? String ?? "" }.sorted() == ids)
        let corrections = labels.filter { $0["corrects"] != nil }
        #expect(corrections.count == 1)
        #expect(corrections.first?["task_id"] as? String == b && corrections.first?["corrects"] as? String == b)
        #expect(corrections.first?["label"] as? String == "other" && corrections.first?["labeller"] as? String == "alice")
        let byTask = Dictionary(grouping: firsts) { $0["task_id"] as? String ?? "" }
        #expect(byTask[a]?.first?["label"] as? String == "single" && byTask[a]?.first?["labeller"] as? String == "alice")
        #expect(byTask[b]?.first?["label"] as? String == "double")
        for (task, key) in zip(seen, keys) {
            let label = ["s": "single", "d": "double", "o": "other"][key]
            #expect(byTask[task]?.first?["label"] as? String == label && byTask[task]?.first?["labeller"] as? String == "bob")
            #expect(byTask[task]?.first?["spectrum_id"] as? String == "sp-\(task)")
        }
        // The correction is later than the answer it corrects.
        let answered = try #require(byTask[b]?.first?["time"] as? String)
        let corrected = try #require(corrections.first?["time"] as? String)
        #expect(corrected >= answered)
    }

    // MARK: --answers, --simulate, malformed tasks

    @Test(.timeLimit(.minutes(2)))
    func answersFileThenSimulatedOracle() async throws {
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        defer { mock.stop() }
        let directory = try temporaryDirectory("balmer-label")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await mock.sendTasks((1...4).map { LabelTaskJSON.task("t\($0)") }, directory: directory)
        let group = "labellers-\(UUID().uuidString.prefix(6))"
        let csv = directory + "/answers.csv"
        try """
            task_id,label,comment,spectrum_id
            t1,emission,"strong, narrow",
            t2,double-peak,,
            t3,other,,
            t9,single,never published as a task,sp-t9

            """.write(toFile: csv, atomically: true, encoding: .utf8)
        let answers = try await CommandRunner.balmer(["label", "--brokers", mock.bootstrapServers, "--group", group,
                                                      "--labeller", "carol", "--answers", csv, "--wait", "6"])
        #expect(answers.status == 0, "\(answers.stderr)")
        #expect(answers.stdout.contains("carol: answered 4 (single 2, double 1, other 1), skipped 1"), "\(answers.stdout)")

        // t4 was handed back; a malformed task follows; the oracle answers t4 from the truth.
        try await mock.sendTasks(["{\"schema\":1,\"task_id\":\"broken\"}"], directory: directory, raw: true)
        let truth = directory + "/truth.csv"
        try "file,class,subtype,snr,radial_velocity,artefacts\nspec-t4.fits,double,Be,30,0,\nspec-t1.fits,other,G,30,0,\n"
            .write(toFile: truth, atomically: true, encoding: .utf8)
        let simulated = try await CommandRunner.balmer(["label", "--brokers", mock.bootstrapServers, "--group", group,
                                                        "--simulate", truth, "--idle-exit", "2", "--svg", directory + "/svg"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(simulated.stdout.contains("simulated-oracle: answered 1 (single 0, double 1, other 0), skipped 0, corrections 0, malformed 1"),
                "\(simulated.stdout)")
        #expect(simulated.stderr.contains("malformed task"))
        let svg = try String(contentsOfFile: directory + "/svg/t4.svg", encoding: .utf8)
        #expect(svg.contains("<svg") && svg.contains("<polyline") && svg.contains("task t4"))

        let labels = try await mock.readLabels(expect: 5)
        #expect(labels.count == 5, "\(labels)")
        let byTask = Dictionary(labels.map { ($0["task_id"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byTask["t1"]?["label"] as? String == "single" && byTask["t1"]?["comment"] as? String == "strong, narrow")
        #expect(byTask["t2"]?["label"] as? String == "double" && byTask["t3"]?["label"] as? String == "other")
        #expect(byTask["t9"]?["spectrum_id"] as? String == "sp-t9")
        #expect(byTask["t4"]?["label"] as? String == "double" && byTask["t4"]?["labeller"] as? String == "simulated-oracle")
        #expect(byTask["t1"]?["labeller"] as? String == "carol")
    }

    // MARK: Errors

    @Test func badBrokerFailsWithinTheConnectTimeout() async throws {
        let directory = try temporaryDirectory("balmer-label")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let truth = directory + "/truth.csv"
        try "file,class,subtype,snr,radial_velocity,artefacts\n".write(toFile: truth, atomically: true, encoding: .utf8)
        let start = ContinuousClock.now
        let result = try await CommandRunner.balmer(["label", "--brokers", "127.0.0.1:1", "--simulate", truth])
        let elapsed = ContinuousClock.now - start
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach Kafka at 127.0.0.1:1 within 10 s"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(elapsed < .seconds(20))
    }

    @Test func usageErrors() async throws {
        let directory = try temporaryDirectory("balmer-label")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let csv = directory + "/answers.csv"
        try "task_id,label\nt1,single\nt2,maybe\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--labeller", "al ice", "--brokers", "127.0.0.1:1"], "labeller name may hold only"),
            (["--brokers", "127.0.0.1:1"], "give --labeller"),
            (["--labeller", "alice", "--brokers", "127.0.0.1:1", "--answers", csv], "line 3: unknown label 'maybe'"),
            (["--labeller", "alice", "--brokers", "127.0.0.1:1"], "not a terminal"),
            (["--labeller", "alice", "--brokers", "127.0.0.1:1", "--simulate", csv, "--error-rate", "2"], "--error-rate"),
        ]
        for (arguments, message) in cases {
            let result = try await CommandRunner.balmer(["label"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        // A campaign roster (loop.labellers) from --config or the environment refuses other names.
        let config = directory + "/balmer.json"
        try #"{"kafka": {"brokers": "127.0.0.1:1"}, "loop": {"labellers": "alice, bob"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let outsider = try await CommandRunner.balmer(["label", "--labeller", "carol", "--config", config])
        #expect(outsider.status == 2 && outsider.stderr.contains("unknown labeller carol: loop.labellers lists alice, bob"), "\(outsider.stderr)")
        let member = try await CommandRunner.balmer(["label", "--labeller", "bob", "--config", config])
        #expect(member.status == 2 && member.stderr.contains("not a terminal"), "\(member.stderr)")
        var rostered = ProcessInfo.processInfo.environment
        rostered["BALMER_LOOP_LABELLERS"] = "alice"
        let simulated = try CommandRunner.run(BuiltProducts.path(of: "balmer"), ["label", "--simulate", csv, "--brokers", "127.0.0.1:1"],
                                              environment: rostered)
        #expect(simulated.status == 2 && simulated.stderr.contains("unknown labeller simulated-oracle"), "\(simulated.stderr)")
        let good = directory + "/good.csv"
        try "task_id,label\nt1,single\n".write(toFile: good, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["BALMER_KAFKA_BROKERS"] = nil
        let noBrokers = try CommandRunner.run(BuiltProducts.path(of: "balmer"), ["label", "--labeller", "alice", "--answers", good],
                                              environment: environment)
        #expect(noBrokers.status == 2)
        #expect(noBrokers.stderr.contains("no Kafka brokers"), "\(noBrokers.stderr)")
    }
}

/// `balmer label keygen` and `--key`: key files, and what `balmer label` refuses before it
/// connects when the campaign's roster lists keys (balmerd's side: SignedLabelTests).
@Suite struct LabelKeyCommandTests {
    @Test func keysAreMadeOnceAndRequiredWhenTheRosterListsThem() async throws {
        let directory = try temporaryDirectory("balmer-label-keys")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = try await CommandRunner.balmer(["label", "keygen", "--labeller", "dora", "--out", directory + "/keys"])
        #expect(made.status == 0, "\(made.stderr)")
        let entry = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(entry.hasPrefix("dora:ed25519:") && Data(base64Encoded: String(entry.dropFirst("dora:ed25519:".count)))?.count == 32, "\(made.stdout)")
        #expect(made.stderr.contains("add this entry to loop.labellers"), "\(made.stderr)")
        let key = directory + "/keys/dora.ed25519"
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let text = try String(contentsOfFile: key, encoding: .utf8)
        #expect(text.contains("dora:ed25519-private:") && text.contains(entry))
        let again = try await CommandRunner.balmer(["label", "keygen", "--labeller", "dora", "--out", directory + "/keys"])
        #expect(again.status == 1 && again.stderr.contains("exists; not replacing a key"), "\(again.stderr)")
        #expect(try String(contentsOfFile: key, encoding: .utf8) == text)
        let badName = try await CommandRunner.balmer(["label", "keygen", "--labeller", "do ra", "--out", directory])
        #expect(badName.status == 2 && badName.stderr.contains("may hold only"), "\(badName.stderr)")
        let other = try await CommandRunner.balmer(["label", "keygen", "--labeller", "dora", "--out", directory + "/other"])
        #expect(other.status == 0)

        let config = directory + "/balmer.json"
        try #"{"kafka": {"brokers": "127.0.0.1:1"}, "loop": {"labellers": "\#(entry), erin"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let base = ["label", "--config", config, "--connect-timeout", "1"]
        let cases: [([String], Int32, String)] = [
            (["--labeller", "dora"], 2, "loop.labellers lists keys, so balmerd refuses unsigned answers: give --key FILE"),
            (["--labeller", "dora", "--key", directory + "/other/dora.ed25519"], 2, "is not the one loop.labellers lists for dora"),
            (["--labeller", "erin", "--key", key], 2, "the key is dora's, not erin's"),
            (["--labeller", "erin"], 2, "labeller erin has no key in loop.labellers"),
            (["--key", directory + "/missing.ed25519"], 2, "cannot read key file"),
            // Checks passed: the interactive mode needs a terminal; --labeller comes from the key.
            (["--key", key], 2, "not a terminal"),
        ]
        for (arguments, status, message) in cases {
            let result = try await CommandRunner.balmer(base + arguments)
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        // BALMER_LABEL_KEY works like --key, for --simulate too (which then gets as far as Kafka).
        let truth = directory + "/truth.csv"
        try "file,class,subtype,snr,radial_velocity,artefacts\n".write(toFile: truth, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["BALMER_LABEL_KEY"] = key
        let simulated = try CommandRunner.run(BuiltProducts.path(of: "balmer"), base + ["--simulate", truth], environment: environment)
        #expect(simulated.status == 1 && simulated.stderr.contains("cannot reach Kafka"), "\(simulated.stderr)")
        // A key others may read, and a malformed roster entry, stop it too.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let readable = try await CommandRunner.balmer(base + ["--key", key])
        #expect(readable.status == 2 && readable.stderr.contains("may be read by others (mode 644)"), "\(readable.stderr)")
        try #"{"loop": {"labellers": "dora:ed25519:abc"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let badRoster = try await CommandRunner.balmer(["label", "--config", config, "--labeller", "dora", "--brokers", "127.0.0.1:1"])
        #expect(badRoster.status == 2 && badRoster.stderr.contains("loop.labellers: the entry of dora: the public key is not base64 of 32 bytes"),
                "\(badRoster.stderr)")
    }
}

/// Task events as JSON (the test target does not link BalmerBus): schema 1, six fields of spectrum.
enum LabelTaskJSON {
    static func task(_ id: String) -> String {
        let halpha = (0..<140).map { index in 1 + 2 * exp(-pow((Double(index) - 30) / 4, 2)) }
        let full = (0..<200).map { 1 + 0.2 * sin(Double($0) / 10) }
        let object: [String: Any] = [
            "schema": 1, "task_id": id, "batch_id": "b1", "iteration": 0, "kind": "query", "spectrum_id": "sp-\(id)",
            "model_version": "m1", "probabilities": ["single": 0.4, "double": 0.35, "other": 0.25], "entropy": 1.08,
            "ra": 83.633, "dec": 22.0145, "location": "/data/sim/spec-\(id).fits",
            "spectrum": ["halpha_flux": halpha, "halpha_range": [6519.0, 6732.0], "full_flux": full, "full_range": [3700.0, 9100.0]],
            "survey": "lamost", "release": "dr9", "survey_key": "9000\(id.dropFirst())", "designation": "J053431.92+220052.2",
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The `balmer label` helpers that talk to a mock cluster.
extension MockProcess {
    /// Publishes task JSON lines with `balmer label send-tasks` (`raw`: unchecked).
    func sendTasks(_ lines: [String], directory: String, raw: Bool = false) async throws {
        let file = directory + "/tasks-\(UUID().uuidString.prefix(6)).jsonl"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await CommandRunner.balmer(["label", "send-tasks", "--brokers", bootstrapServers] + (raw ? ["--raw"] : []) + [file])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Every label event on the topic (waits for `expect`, then 2 s more for extras).
    func readLabels(expect: Int) async throws -> [[String: Any]] {
        let result = try await CommandRunner.balmer(["label", "read-labels", "--brokers", bootstrapServers,
                                                     "--expect", "\(expect)", "--settle", "2", "--timeout", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }
}

/// A private tmux server (its own socket) with one 100 × 30 window at a time.
/// `@unchecked Sendable`: used by one test task at a time.
final class Tmux: @unchecked Sendable {
    let executable: String
    let socket = "balmer-test-\(UUID().uuidString.prefix(8))"
    private(set) var session = "label-0"
    private var sessions = 0

    init() throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/tmux" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        executable = try #require(path, "tmux is missing: install it (apt-get install tmux; ops/test installs it through ops/lib/deps.sh)")
    }

    /// Starts `command` in a fresh window (replacing the previous one); the window stays open
    /// after it exits and shows `EXIT:<status>`.
    func start(_ command: [String]) throws {
        if sessions > 0 { stopPanes() }
        sessions += 1
        session = "label-\(sessions)"
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = run(["-u", "-L", socket, "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                          quoted + "; echo EXIT:$?; exec sleep 120"]).status
        #expect(status == 0, "tmux new-session failed")
    }

    /// Runs tmux with posix_spawn and waitpid, with exactly stdin, stdout and stderr open in the
    /// child: the server that `new-session` forks keeps every descriptor it inherits, so a pipe
    /// of ours in it would never reach end of file. Blocking, milliseconds.
    @discardableResult
    func run(_ arguments: [String]) -> (status: Int32, output: String) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return (-1, "") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        let errors = NSTemporaryDirectory() + "tmux-\(socket).err"
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        // The server must not keep the pipe open: new-session's output goes to /dev/null.
        if arguments.contains("new-session") { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipe[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while spawned == 0 {
            let count = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(pipe[0])
        guard spawned == 0 else { return (-1, "") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status >> 8) & 0xFF
        if code != 0 && !arguments.contains("kill-server") && !arguments.contains("kill-session"), let message = try? String(contentsOfFile: errors, encoding: .utf8) {
            Issue.record("tmux \(arguments.prefix(4).joined(separator: " ")): \(message)")
        }
        return (code, String(decoding: output, as: UTF8.self))
    }

    func resize(columns: Int, rows: Int) {
        run(["-L", socket, "resize-window", "-t", session, "-x", "\(columns)", "-y", "\(rows)"])
    }

    func keys(_ text: String) {
        run(["-L", socket, "send-keys", "-t", session, "-l", text])
    }

    func capture() -> String {
        run(["-L", socket, "capture-pane", "-p", "-t", session]).output
    }

    /// Polls the pane until it contains `text` (20 s at most); returns the pane.
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var pane = ""
        while ContinuousClock.now < deadline {
            pane = capture()
            if pane.contains(text) { return pane }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the pane never showed '\(text)'; it shows:\n\(pane)")
        throw CancellationError()
    }

    /// The id of the task on screen (`Task tN · …`), waiting for one not in `not`.
    func waitForTask(not excluded: [String] = []) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        var pane = ""
        while ContinuousClock.now < deadline {
            pane = capture()
            if let line = pane.split(separator: "\n").first(where: { $0.hasPrefix("Task ") || $0.hasPrefix("CORRECTING") }),
               let range = line.range(of: "Task ") {
                let id = String(line[range.upperBound...].prefix { $0 != " " })
                if !excluded.contains(id) && !line.hasPrefix("CORRECTING") { return id }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no new task on screen (excluded \(excluded)); the pane shows:\n\(pane)")
        throw CancellationError()
    }

    /// Kills the processes in every pane (the waiting `sleep` may ignore SIGHUP, which would keep
    /// the server alive) and their sessions.
    func stopPanes() {
        for pid in run(["-L", socket, "list-panes", "-a", "-F", "#{pane_pid}"]).output.split(separator: "\n").compactMap({ Int32($0) }) {
            kill(pid, SIGKILL)
        }
        run(["-L", socket, "kill-session", "-t", session])
    }

    func killServer() {
        stopPanes()
        run(["-L", socket, "kill-server"])
        unlink("/tmp/tmux-\(getuid())/\(socket)")
        unlink(NSTemporaryDirectory() + "tmux-\(socket).err")
    }
}
