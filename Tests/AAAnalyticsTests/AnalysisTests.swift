import AAAnalytics
import Foundation
import Testing

@Suite struct AnalysisTests {
    typealias Call = Fixtures.Call

    @Test func lostDirectionIsWhereAFailureLeavesTheSuccessfulPath() {
        let good = [Call(command: "ls /app"), Call(command: "cat /app/main.py"), Call(command: "sed -i s/x/y/ /app/main.py"), Call(command: "pytest -q")]
        let bad = [Call(command: "ls /app"), Call(command: "cat /app/main.py"), Call(command: "rm -rf /app/build"), Call(command: "pytest -q")]
        let tables = TableBuilder.build([
            Fixtures.trial("fix", reward: 1, calls: good),
            Fixtures.trial("fix", reward: 0, calls: bad),
        ])
        let lost = LostDirection(detectors: Detectors(tables: tables))
        #expect(lost.hasReference(1))
        #expect(lost.step(1) == 3)
    }

    @Test func lostDirectionFallsBackToTheLastProgress() {
        let calls = [Call(command: "ls"), Call(command: "make"), Call(command: "./run", exit: 1, output: "error: boom"),
                     Call(command: "make"), Call(command: "./run", exit: 1, output: "error: boom")]
        let tables = TableBuilder.build([Fixtures.trial("alone", reward: 0, calls: calls)])
        let lost = LostDirection(detectors: Detectors(tables: tables))
        #expect(!lost.hasReference(0))
        #expect(lost.step(0) == 3)
    }

    /// Ten tasks; a few failure modes planted in known numbers.
    func corpus() -> [TrialRecord] {
        var records: [TrialRecord] = []
        let loop = Array(repeating: Call(command: "sleep 5 && cat /app/status", output: "pending"), count: 5)
        for task in 0..<10 {
            records.append(Fixtures.trial("task-\(task)", reward: 1, calls: [Call(command: "ls"), Call(command: "pytest -q")]))
            if task < 6 { records.append(Fixtures.trial("task-\(task)", reward: 0, calls: [Call(command: "ls")] + loop)) }
            if task < 3 { records.append(Fixtures.trial("task-\(task)", reward: nil, calls: [Call(command: "ls")], exception: "AgentTimeoutError")) }
        }
        return records
    }

    @Test func clustersAreRankedByImpactWithEvidence() {
        let analysis = FailureAnalysis.analyze(TableBuilder.build(corpus()))
        #expect(analysis.trials == 19)
        #expect(analysis.failedTrials == 9)
        #expect(analysis.clusters.map(\.kind) == [.loop, .agentTimeout])
        let loop = analysis.clusters[0]
        #expect(loop.failedTrials == 6)
        #expect(loop.tasks.count == 6)
        #expect(loop.template == "sleep <*> && cat <*>")
        #expect(loop.members.count == 6)
        #expect(loop.members.allSatisfy { $0.step == 2 })
        #expect(loop.medianStep == 2)
        #expect(loop.evidence.count == 3)
        #expect(Set(loop.evidence.map(\.task)).count == 3)
        #expect(loop.evidence[0].command == "sleep 5 && cat /app/status")
        #expect(abs(loop.share - 6.0 / 9.0) < 1e-9)
        #expect(analysis.clusters[1].rewardLost == 3)
        #expect(analysis.failures.allSatisfy { !$0.cluster.isEmpty })
        let task0 = analysis.tasks.first { $0.task == "task-0" }
        #expect(task0?.failures == ["loop": 1, "agent_timeout": 1])
        #expect(task0?.succeeded == 1)
    }

    @Test func comparisonShowsGrowthAndShrinkage() {
        let before = FailureAnalysis.analyze(TableBuilder.build(corpus()))
        let after = FailureAnalysis.analyze(TableBuilder.build(corpus().filter { $0.exception == nil }))
        let c = AnalysisComparison(baseline: before, current: after)
        #expect(c.baselineFailed == 9)
        #expect(c.currentFailed == 6)
        let timeout = c.rows.first { $0.id.hasPrefix("agent_timeout") }
        #expect(timeout?.before == 3)
        #expect(timeout?.after == 0)
        #expect(c.rows.first { $0.id.hasPrefix("loop") }?.after == 6)
        let md = MarkdownReport.render(after, comparison: c)
        #expect(md.contains("3 → 0"))
    }

    @Test func rangesOfOneTableShareClusterIds() {
        let before = corpus()
        let after = corpus().filter { $0.exception == nil }
        let tables = TableBuilder.build(before + after)
        let baseline = FailureAnalysis.analyze(tables, trials: 0..<before.count)
        let current = FailureAnalysis.analyze(tables, trials: before.count..<(before.count + after.count))
        #expect(baseline.trials == 19)
        #expect(current.trials == 16)
        #expect(current.failedTrials == 6)
        #expect(current.clusters.map(\.id) == [baseline.clusters[0].id])
        let c = AnalysisComparison(baseline: baseline, current: current)
        #expect(c.rows.map { [$0.before, $0.after] } == [[3, 0], [6, 6]])
    }

    @Test func reportsRenderEveryFormat() throws {
        let analysis = FailureAnalysis.analyze(TableBuilder.build(corpus()))
        let md = MarkdownReport.render(analysis)
        #expect(md.contains("### 1. Loop: sleep <*> && cat <*>"))
        #expect(md.contains("**Lever:**"))
        let html = HTMLReport.render(analysis)
        for id in ["reward-per-task", "modes-by-task", "loss-positions"] { #expect(html.contains("<svg id=\"\(id)\"")) }
        #expect(html.contains("sleep 5 &amp;&amp; cat /app/status"))
        let json = try JSONEncoder().encode(analysis)
        let decoded = try JSONDecoder().decode(FailureAnalysis.self, from: json)
        #expect(decoded == analysis)
    }

    /// A large synthetic corpus: the Markdown stays within budget, the JSON keeps every member.
    @Test func scalesToALargeSyntheticCorpus() {
        var builder = TableBuilder()
        let errors = ["ModuleNotFoundError: No module named 'm%d'", "SyntaxError: invalid syntax (line %d)", "cat: /data/f%d: No such file or directory"]
        var failed = 0
        for i in 0..<4_000 {
            let task = "task-\(i % 200)"
            let mode = i % 7
            var calls = [Call(command: "ls /app"), Call(command: "cat /app/README.md")]
            switch mode {
            case 0, 1: calls.append(Call(command: "pytest -q"))
            case 2: calls += Array(repeating: Call(command: "tail -n \(i % 50) /var/log/app.log", output: "no change"), count: 4)
            case 3, 4:
                let e = String(format: errors[i % 3], i)
                calls += (0..<3).map { j in Call(command: "python3 step\(j).py", exit: 1, output: e) }
            default: calls.append(Call(command: "echo done"))
            }
            let success = mode < 2
            if !success { failed += 1 }
            builder.append(Fixtures.trial(task, name: "t\(i)", reward: success ? 1 : 0, calls: calls,
                                          exception: mode == 6 ? "AgentTimeoutError" : nil,
                                          finalMessage: mode == 5 ? "The task is complete." : "Stopping."))
        }
        let tables = builder.finish()
        #expect(tables.steps.count > 15_000)
        let analysis = FailureAnalysis.analyze(tables)
        #expect(analysis.failedTrials == failed)
        #expect(analysis.clusters.reduce(0) { $0 + $1.members.count } == failed)
        #expect(analysis.clusters.count <= 12)
        let kinds = Set(analysis.clusters.map(\.kind))
        #expect(kinds.isSuperset(of: [.loop, .repeatedError, .agentTimeout, .claimedSuccess]))
        for budget in [2_000, 8_000] {
            #expect(MarkdownReport.render(analysis, budget: budget).utf8.count <= budget)
        }
    }
}
