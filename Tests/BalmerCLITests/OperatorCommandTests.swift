import BalmerTestSupport
import Foundation
import Testing

/// The operators' CLI around the loop (`labels`, `train --database`, `model`, `status`), run as a
/// user would against the throw-away PostgreSQL, each test in a fresh schema.
@Suite struct OperatorCommandTests {
    /// A fresh schema name and the URL, dropped by ``Schema/drop()``.
    struct Schema {
        let url: String
        let name: String

        init() throws {
            let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
            try #require(!url.isEmpty, "BALMER_DATABASE_URL is not set: run the tests through ops/test (it starts a throw-away PostgreSQL)")
            self.url = url
            name = "balmer_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        }

        var options: [String] { ["--database-url", url, "--schema", name] }

        /// Runs `balmer ARGS --database-url … --schema …`.
        func balmer(_ arguments: [String]) throws -> CommandRunner.Output {
            try CommandRunner.balmer(arguments + options)
        }

        /// Runs SQL in the schema with psql; returns its unaligned output.
        @discardableResult
        func sql(_ statements: String) throws -> String {
            let out = try CommandRunner.run(Self.psql, [url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c",
                                                        "SET search_path TO \(name); \(statements)"])
            try #require(out.status == 0, "psql: \(out.stderr)")
            return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func drop() {
            _ = try? CommandRunner.run(Self.psql, [url, "-qAt", "-c", "DROP SCHEMA IF EXISTS \(name) CASCADE"])
        }

        /// psql from PATH or the PostgreSQL server's bin folder.
        static let psql: String = {
            let candidates = ["/usr/bin/psql", "/usr/local/bin/psql"]
                + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
                .map { "/usr/lib/postgresql/\($0)/bin/psql" }
            return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "psql"
        }()
    }

    /// Simulates `count` CCD700 spectra with a dataset CSV; returns (folder, csv path, classes per truth).
    func simulateDataset(count: Int, seed: Int, in directory: String) throws -> (folder: String, csv: String, classes: [String: Int]) {
        let folder = directory + "/ccd", csv = directory + "/train.csv"
        let out = try CommandRunner.balmer(["simulate", "--kind", "ccd700", "--count", "\(count)", "--seed", "\(seed)",
                                            "--out", folder, "--dataset-csv", csv])
        try #require(out.status == 0, "\(out.stderr)")
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst()
        var classes: [String: Int] = [:]
        for row in rows {
            let label = String(row.split(separator: ",", maxSplits: 2)[1])
            classes[["emission": "single", "double-peak": "double", "absorption": "other"][label] ?? label, default: 0] += 1
        }
        return (folder, csv, classes)
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// One JSON object per line.
    static func jsonLines(_ output: CommandRunner.Output) throws -> [[String: Any]] {
        try #require(output.status == 0, "\(output.stderr)")
        return try output.lines.map { try #require(try json($0) as? [String: Any]) }
    }

    @Test func importingADatasetCSVTwiceStoresTheSameRows() throws {
        let db = try Schema()
        defer { db.drop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, csv, classes) = try simulateDataset(count: 40, seed: 3, in: directory)
        let total = classes.values.reduce(0, +)

        let first = try db.balmer(["labels", "import", csv])
        #expect(first.status == 0, "\(first.stderr)")
        let perClass = "single \(classes["single"] ?? 0), double \(classes["double"] ?? 0), other \(classes["other"] ?? 0)"
        #expect(first.stdout.contains("imported \(total) labelled spectra (\(perClass))"), "\(first.stdout)")
        #expect(first.stdout.contains("\(total) new spectra, \(total) new labels"), "\(first.stdout)")

        let second = try db.balmer(["labels", "import", csv])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("0 new spectra, 0 new labels"), "\(second.stdout)")

        #expect(try db.sql("SELECT count(*) FROM spectra WHERE survey = 'ondrejov' AND release = 'initial'") == "\(total)")
        #expect(try db.sql("SELECT count(*) FROM labels WHERE source = 'initial' AND labeller = 'dataset'") == "\(total)")
        #expect(try db.sql("SELECT count(*) FROM spectra WHERE location LIKE '%/train.csv#' || key") == "\(total)")
        #expect(try db.sql("SELECT count(*) FROM spectra WHERE ra BETWEEN 0 AND 360 AND dec BETWEEN -90 AND 90") == "\(total)")

        #expect(try db.balmer(["labels", "import", directory + "/missing.csv"]).status == 2)
        #expect(try db.balmer(["labels", "import"]).status == 2)
        #expect(try db.balmer(["labels", "import", "--fits", directory + "/ccd"]).status == 2)  // no --truth
    }

    @Test func importingFITSReportsUnreadableFilesAndTheDomainUsed() throws {
        let db = try Schema()
        defer { db.drop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let survey = directory + "/survey"
        let simulate = try CommandRunner.balmer(["simulate", "--kind", "lamost-dr9", "--count", "12", "--seed", "8", "--out", survey])
        try #require(simulate.status == 0, "\(simulate.stderr)")
        #expect(FileManager.default.createFile(atPath: survey + "/broken.fits", contents: Data("not a FITS file".utf8)))
        let truthText = try String(contentsOfFile: survey + "/truth.csv", encoding: .utf8)
        try (truthText + "gone.fits,single,Be,20,0,\n").write(toFile: survey + "/truth.csv", atomically: true, encoding: .utf8)

        let out = try db.balmer(["labels", "import", "--fits", survey, "--truth", survey + "/truth.csv"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("preprocessing: survey (no blur)"), "\(out.stderr)")
        #expect(out.stderr.contains("chosen by the detected layout"))
        #expect(out.stderr.contains("broken.fits"), "\(out.stderr)")
        #expect(out.stderr.contains("1 rows of \(survey)/truth.csv name no file"), "\(out.stderr)")
        let imported = try #require(Self.number(after: "imported ", in: out.stdout))
        let failed = try #require(Self.number(after: "labels import: ", in: out.stderr.components(separatedBy: "\n").first { $0.contains("files not imported") } ?? ""))
        #expect(imported + failed == 13)
        #expect(failed >= 1)
        #expect(try db.sql("SELECT count(*) FROM labels WHERE source = 'initial'") == "\(imported)")
        #expect(try db.sql("SELECT count(DISTINCT survey) FROM spectra WHERE survey = 'LAMOST'") == "1")

        // CCD700 files are recognised as the training domain.
        let ccd = try simulateDataset(count: 8, seed: 2, in: directory)
        let ccdImport = try db.balmer(["labels", "import", "--fits", ccd.folder, "--truth", ccd.folder + "/truth.csv", "--release", "ccd"])
        #expect(ccdImport.status == 0, "\(ccdImport.stderr)")
        #expect(ccdImport.stderr.contains("ccd700 (air→vacuum, blur σ=7 px) for"), "\(ccdImport.stderr)")
        #expect(try db.balmer(["labels", "import", "--fits", survey, "--truth", survey + "/truth.csv", "--domain", "hst"]).status == 2)
    }

    @Test func trainPromoteAndRollbackThroughTheRegistry() async throws {
        let db = try Schema()
        defer { db.drop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, csv, classes) = try simulateDataset(count: 180, seed: 5, in: directory)
        try #require(try db.balmer(["labels", "import", csv]).status == 0)

        let train = try db.balmer(["train", "--database", "--epochs", "2", "--patience", "2", "--seed", "3"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("epoch 1/2"), "\(train.stderr)")
        #expect(train.stdout.contains("model 1 (initial)"), "\(train.stdout)")
        var models = try Self.jsonLines(db.balmer(["model", "list", "--json"]))
        try #require(models.count == 1)
        #expect(models[0]["version"] as? Int == 1)
        #expect(models[0]["status"] as? String == "active")
        #expect(models[0]["kind"] as? String == "initial")
        #expect(models[0]["parent"] is NSNull)
        let counts = try #require(models[0]["training_counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) <= classes.values.reduce(0, +))
        #expect((models[0]["metrics"] as? [String: Any])?["heldout_accuracy"] is NSNumber)

        // A model file registered as kind `file` and promoted.
        let file = directory + "/other.safetensors"
        let fileTrain = try await CommandRunner.balmer(["train", "--data", csv, "--out", file, "--epochs", "1", "--seed", "9"])
        try #require(fileTrain.status == 0, "\(fileTrain.stderr)")
        let promote = try db.balmer(["model", "promote", "--file", file])
        #expect(promote.status == 0, "\(promote.stderr)")
        models = try Self.jsonLines(db.balmer(["model", "list", "--json"]))
        try #require(models.count == 2)
        #expect(models[1]["version"] as? Int == 2)
        #expect(models[1]["status"] as? String == "active")
        #expect(models[1]["kind"] as? String == "file")
        #expect(models[1]["parent"] as? Int == 1)
        #expect(models[0]["status"] as? String == "retired")

        let rollback = try db.balmer(["model", "rollback", "--reason", "worse on the survey"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        models = try Self.jsonLines(db.balmer(["model", "list", "--json"]))
        #expect(models[0]["status"] as? String == "active")
        #expect(models[1]["status"] as? String == "retired")
        #expect(models[1]["decision"] as? String == "rolled back: worse on the survey")
        #expect((models[0]["decision"] as? String)?.contains("restored by rollback of 2") == true)
        let table = try db.balmer(["model", "list"])
        #expect(table.stdout.contains("decision: rolled back: worse on the survey"), "\(table.stdout)")

        // Promoting by version announces on balmer.models (a mock cluster acknowledges it).
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        let again = try { () throws -> CommandRunner.Output in
            defer { mock.stop() }
            return try db.balmer(["model", "promote", "2", "--brokers", mock.bootstrapServers])
        }()
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("announced model 2 on balmer.models"), "\(again.stderr)")
        // A broker that is down: a warning only, the registry changed anyway.
        let down = try db.balmer(["model", "rollback", "--brokers", "127.0.0.1:1"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("warning: could not announce model 1"), "\(down.stderr)")
        #expect(try db.balmer(["model", "promote", "99"]).status == 2)
        #expect(try db.balmer(["model", "promote"]).status == 2)

        let status = try #require(try Self.json(db.balmer(["status", "--json"]).stdout) as? [String: Any])
        #expect((status["active_model"] as? [String: Any])?["version"] as? Int == 1)
        #expect((status["counts"] as? [String: Any])?["initial_labels"] as? Int == classes.values.reduce(0, +))
        #expect((status["campaign"] as? [String: Any])?["state"] as? String == "not started")
    }

    @Test func conflictsAreListedResolvedAndShownInStatus() throws {
        let db = try Schema()
        defer { db.drop() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, csv, _) = try simulateDataset(count: 10, seed: 4, in: directory)
        try #require(try db.balmer(["labels", "import", csv]).status == 0)
        // Two pool spectra (not in the initial set).
        let ids = try db.sql("""
            INSERT INTO spectra (survey, release, key, location, features)
            SELECT 'LAMOST', 'DR9', 'pool' || n, '/data/pool' || n || '.fits', decode(repeat('00', 560), 'hex')
            FROM generate_series(1, 2) n RETURNING id
            """).split(separator: "\n").map(String.init)
        try #require(ids.count == 2)
        // Two labellers disagree on ids[0]; two agree on ids[1]; one iteration with an estimate.
        try db.sql("""
            INSERT INTO labels (spectrum_id, label, labeller, source, task_id, labelled_at) VALUES
                (\(ids[0]), 'single', 'alice', 'query', 't1', now()), (\(ids[0]), 'other', 'bob', 'query', 't2', now()),
                (\(ids[1]), 'double', 'alice', 'query', 't3', now()), (\(ids[1]), 'double', 'bob', 'query', 't4', now());
            INSERT INTO iterations (iteration, model_version, labels_used, queried, precision_estimate,
                                    precision_lower_bound, precision_sample_size, started_at, converged)
            VALUES (0, 1, 10, 2, 0.9, 0.78, 30, now(), false);
            INSERT INTO campaign DEFAULT VALUES;
            """)

        let conflicts = try Self.jsonLines(db.balmer(["labels", "conflicts", "--json"]))
        try #require(conflicts.count == 1)
        #expect(conflicts[0]["spectrum_id"] as? Int == Int(ids[0]))
        #expect(conflicts[0]["label"] is NSNull)
        #expect(conflicts[0]["tally"] as? [String: Int] == ["single": 1, "other": 1])
        var status = try #require(try Self.json(db.balmer(["status", "--json"]).stdout) as? [String: Any])
        #expect(status["unresolved_conflicts"] as? Int == 1)
        #expect(status["current_iteration"] as? Int == 0)
        #expect((status["tasks"] as? [String: Any])?["answered_by"] as? [String: Int] == ["alice": 2, "bob": 2])
        let iterations = try #require(status["iterations"] as? [[String: Any]])
        #expect(iterations.first?["precision_estimate"] as? Double == 0.9)
        #expect(iterations.first?["t_lower_bound"] as? Double == 0.78)
        #expect((status["campaign"] as? [String: Any])?["state"] as? String == "running")
        let text = try db.balmer(["status", "--threshold", "0.8"])
        #expect(text.status == 0, "\(text.stderr)")
        // 40 columns over [0, 1]: `#` to the t bound 0.78, `=` to the estimate 0.90, `|` at 0.80.
        #expect(text.stdout.contains("it  0 [" + String(repeating: "#", count: 31) + "=|===....]"), "\(text.stdout)")
        #expect(text.stdout.contains("1 unresolved"))
        // Without --threshold: balmerd's loop.threshold from the configuration file.
        let config = directory + "/balmerd.json"
        try Data(#"{"loop": {"threshold": 0.5}}"#.utf8).write(to: URL(fileURLWithPath: config))
        let configured = try db.balmer(["status", "--config", config])
        #expect(configured.stdout.contains("| threshold 0.50"), "\(configured.stdout)")
        #expect(configured.stdout.contains("it  0 [" + String(repeating: "#", count: 20) + "|" + String(repeating: "#", count: 10)), "\(configured.stdout)")

        let resolve = try db.balmer(["labels", "resolve", ids[0], "double", "--by", "carol", "--note", "clear double peak"])
        #expect(resolve.status == 0, "\(resolve.stderr)")
        #expect(resolve.stdout.contains("resolved as double by carol"))
        #expect(try Self.jsonLines(db.balmer(["labels", "conflicts", "--json"])).isEmpty)
        let settled = try Self.jsonLines(db.balmer(["labels", "conflicts", "--all", "--json"]))
        #expect(settled.first?["label"] as? String == "double")
        #expect(settled.first?["resolved_by"] as? String == "carol")
        status = try #require(try Self.json(db.balmer(["status", "--json"]).stdout) as? [String: Any])
        #expect(status["unresolved_conflicts"] as? Int == 0)
        #expect(try db.sql("SELECT count(*) FROM training_labels WHERE spectrum_id = \(ids[0]) AND label = 'double'") == "1")

        #expect(try db.balmer(["labels", "resolve", ids[0], "maybe", "--by", "carol"]).status == 2)
        #expect(try db.balmer(["labels", "resolve", "987654321", "single", "--by", "carol"]).status == 2)
    }

    /// The integer right after `prefix` in `text`.
    static func number(after prefix: String, in text: String) -> Int? {
        guard let range = text.range(of: prefix) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
