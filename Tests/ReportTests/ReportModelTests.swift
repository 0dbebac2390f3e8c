import AACore
import Foundation
import Testing

@Suite struct ReportModelTests {
    @Test func headlineCountsAndSpendingComeFromTheLedger() throws {
        let f = try RunFixture.small()
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.run.name == "nightly <b>run</b>")
        #expect(report.run.panels == ["search": 4, "validation": 2, "test": 1])
        #expect(report.counts == OptimizeReport.Counts(tried: 5, kept: 2, discarded: 1, rejected: 1, crashed: 1, running: 0))
        #expect(report.headline.bestID == 5)
        #expect(report.headline.search.baseline == 0.40)
        #expect(report.headline.search.best == 0.60)
        #expect(abs((report.headline.search.delta ?? 0) - 0.20) < 1e-12)
        #expect(report.headline.validation.best == 0.52)
        #expect(report.headline.test.baseline == 0.35)
        #expect(report.headline.test.best == 0.50)
        #expect(abs(report.spending.usd.spent - 1.31) < 1e-9)
        #expect(report.spending.usd.cap == 10)
        #expect(report.spending.tokens.spent == 47_600)
        #expect(report.spending.tokens.cap == nil)
        #expect(report.spending.experiments.spent == 5)
        #expect(report.spending.experiments.cap == 50)
        #expect(report.spending.wallSeconds.spent == 6 * 30)
        #expect(report.noiseFloor == 0.03)
        #expect(report.noiseBand.map { abs($0.lowerBound - 0.37) < 1e-12 && abs($0.upperBound - 0.43) < 1e-12 } == true)
    }

    @Test func runningBestStepsOnlyAtKeptExperiments() throws {
        let f = try RunFixture.small()
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.points.map(\.id) == [0, 1, 2, 3, 4, 5])
        #expect(report.points.map(\.runningBest) == [0.40, 0.55, 0.55, 0.55, 0.55, 0.60])
        #expect(report.points.map(\.elapsedSeconds) == [300, 600, 900, 960, 1080, 1500])
    }

    @Test func cumulativeCostFollowsFinishingOrder() throws {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.3, cost: 1, tokens: 10, minutes: 5)
        // Experiment 2 finishes before experiment 1 (candidates of one round run concurrently).
        try f.add(1, .discard, score: 0.2, parent: 0.3, cost: 2, tokens: 20, minutes: 20)
        try f.add(2, .keep, score: 0.4, parent: 0.3, cost: 4, tokens: 40, minutes: 12)
        try f.add(3, .running, cost: 8, tokens: 80, minutes: 30)
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.cost.map(\.id) == [0, 2, 1])
        #expect(report.cost.map(\.cumulativeUSD) == [1, 5, 7])
        #expect(report.cost.map(\.cumulativeTokens) == [10, 50, 70])
        #expect(report.spending.usd.spent == 15)
        #expect(report.counts.running == 1)
    }

    @Test func failureModesBeyondTheTopAreOther() throws {
        let f = try RunFixture()
        let modes = (1...9).map { "mode \($0)" }
        try f.add(0, .baseline, score: 0.3, minutes: 1, modes: Dictionary(uniqueKeysWithValues: modes.enumerated().map { ($1, $0 + 1) }))
        try f.add(1, .discard, score: 0.3, parent: 0.3, minutes: 2, modes: ["mode 1": 20, "mode 2": 0])
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.topModes == ["mode 1", "mode 9", "mode 8", "mode 7", "mode 6", "mode 5"])
        #expect(report.failures[0].counts["other"] == 2 + 3 + 4)
        #expect(report.failures[0].counts["mode 9"] == 9)
        #expect(report.failures[1].counts == ["mode 1": 20])
    }

    @Test func onlyTheBaselineAndOneRunning() throws {
        let f = try RunFixture(state: "running")
        try f.add(0, .baseline, score: 0.42, validation: 0.4, test: 0.39, minutes: 3)
        try f.add(1, .running, minutes: 4)
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.counts == OptimizeReport.Counts(tried: 1, running: 1))
        #expect(report.spending.experiments.spent == 0)
        #expect(report.headline.bestID == 0)
        #expect(report.headline.search.delta == 0)
        #expect(report.points.map(\.runningBest) == [0.42, 0.42])
    }

    @Test func aRunningBaselineIsNotAnExperiment() throws {
        let f = try RunFixture(state: "running")
        try f.add(0, .running, score: 0.25, minutes: 3, description: "baseline: harness")
        let report = try OptimizeReport.load(runDirectory: f.path)
        #expect(report.counts == OptimizeReport.Counts())
        #expect(report.headline.bestID == 0)
        #expect(report.headline.search.baseline == 0.25)
        #expect(report.points.map(\.status) == [.running])
        #expect(OptimizeReportHTML.render(report, generatedAt: "now").contains("The baseline is still being evaluated."))
    }

    @Test func notAnOptimizeRunNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aa-report-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: OptimizeRunError.self) { try OptimizeReport.load(runDirectory: dir + "/missing") }
        do {
            _ = try OptimizeReport.load(runDirectory: dir)
            Issue.record("an empty directory loaded")
        } catch {
            #expect(error.description == "\(dir): not an optimize run: it has no ledger.sqlite")
        }
        // A jobs ledger (aa run) is a SQLite file without the experiments table; it must stay untouched.
        _ = try Ledger(path: dir + "/ledger.sqlite")
        do {
            _ = try OptimizeReport.load(runDirectory: dir)
            Issue.record("a jobs ledger loaded")
        } catch {
            #expect(error.path == dir + "/ledger.sqlite")
            #expect(error.problem.contains("no experiments and run_info tables"))
            #expect(error.problem.contains("jobs, trials"))
        }
        let db = try SQLiteDatabase(path: dir + "/ledger.sqlite")
        #expect(try db.execute("SELECT name FROM sqlite_master WHERE name = 'experiments'").isEmpty)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dir + "/ledger.sqlite" + suffix) }
        let broken = try ExperimentLedger(path: dir + "/ledger.sqlite")
        try broken.insert(ExperimentRecord(id: 0, round: 0, status: .baseline, stage: .done, description: "baseline"))
        try SQLiteDatabase(path: dir + "/ledger.sqlite").execute("UPDATE experiments SET failure_modes = '{not json'")
        do {
            _ = try OptimizeReport.load(runDirectory: dir)
            Issue.record("a ledger with a bad JSON column loaded")
        } catch {
            #expect(error.description == "\(dir)/ledger.sqlite: experiment 0: bad failure_modes JSON")
        }
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: dir + "/ledger.sqlite"))
        do {
            _ = try OptimizeReport.load(runDirectory: dir)
            Issue.record("a text file loaded")
        } catch {
            #expect(error.description == "\(dir)/ledger.sqlite: not a SQLite database")
        }
    }
}
