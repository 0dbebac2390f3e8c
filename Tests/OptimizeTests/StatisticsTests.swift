import AACore
import Testing

/// The paired stratified test, the bootstrap interval, the noise floor and the keep rule, on cases
/// with known answers.
@Suite struct StatisticsTests {
    @Test func fiveTasksAllImprovedGiveOneIn32() {
        let parent = Dictionary(uniqueKeysWithValues: (1...5).map { ("t\($0)", [0.0]) })
        let child = Dictionary(uniqueKeysWithValues: (1...5).map { ("t\($0)", [1.0]) })
        let c = PairedComparison.compare(parent: parent, child: child)
        #expect(c.exact)
        #expect(c.meanDelta == 1)
        // Each task's relabelling is ±1 with probability 1/2: only all five +1 reach the observed mean.
        #expect(abs(c.pValue - 1.0 / 32) < 1e-12)
        #expect(abs(c.pValueWorse - 1) < 1e-9)
        #expect(c.ciLow == 1 && c.ciHigh == 1)
    }

    @Test func twoTrialsOfOneTaskGiveOneInSix() {
        let c = PairedComparison.compare(parent: ["a": [0, 0]], child: ["a": [1, 1]])
        // C(4, 2) = 6 ways to pick the child's two trials; one of them holds both successes.
        #expect(abs(c.pValue - 1.0 / 6) < 1e-12)
        #expect(c.taskDeltas == ["a": 1])
    }

    @Test func unchangedTasksDoNotDiluteTheTestButDoTheMean() {
        var parent: [String: [Double]] = ["long1": [0, 0], "long2": [0, 0]]
        var child: [String: [Double]] = ["long1": [1, 1], "long2": [1, 1]]
        for t in ["short1", "short2"] {
            parent[t] = [1, 1]
            child[t] = [1, 1]
        }
        let c = PairedComparison.compare(parent: parent, child: child)
        #expect(c.meanDelta == 0.5)
        #expect(abs(c.pValue - 1.0 / 36) < 1e-12)
        #expect(c.parentMeans["short1"] == 1 && c.childMeans["long2"] == 1)
    }

    @Test func identicalArmsAreNotSignificant() {
        let rewards: [String: [Double]] = ["a": [1, 0, 1], "b": [0, 0, 1], "c": [1, 1, 1]]
        let c = PairedComparison.compare(parent: rewards, child: rewards)
        #expect(c.meanDelta == 0)
        #expect(c.pValue > 0.4)
        #expect(c.pValueWorse > 0.4)
    }

    @Test func worseChildHasSmallWorsePValue() {
        let parent = Dictionary(uniqueKeysWithValues: (1...6).map { ("t\($0)", [1.0, 1.0]) })
        let child = Dictionary(uniqueKeysWithValues: (1...6).map { ("t\($0)", [0.0, 0.0]) })
        let c = PairedComparison.compare(parent: parent, child: child)
        #expect(c.meanDelta == -1)
        #expect(abs(c.pValue - 1) < 1e-9)
        #expect(c.pValueWorse < 0.001)
    }

    @Test func manyTrialsUseMonteCarlo() {
        let c = PairedComparison.compare(parent: ["a": Array(repeating: 0, count: 20)], child: ["a": Array(repeating: 1, count: 20)],
                                         samples: 5_000)
        #expect(!c.exact)
        #expect(c.pValue == 1.0 / 5_001)
        let noise = PairedComparison.compare(parent: ["a": Array(repeating: 0.5, count: 20)], child: ["a": Array(repeating: 0.5, count: 20)],
                                             samples: 2_000)
        #expect(noise.pValue == 1)
    }

    @Test func tasksMissingOnOneSideAreLeftOut() {
        let c = PairedComparison.compare(parent: ["a": [0], "b": [1]], child: ["a": [1], "c": [0]])
        #expect(c.tasks == ["a"])
        #expect(c.meanDelta == 1)
    }

    @Test func bootstrapIntervalCoversTheSpread() {
        let parent: [String: [Double]] = ["a": [0], "b": [0], "c": [0], "d": [0]]
        let child: [String: [Double]] = ["a": [1], "b": [0], "c": [1], "d": [0]]
        let c = PairedComparison.compare(parent: parent, child: child, level: 0.9)
        #expect(c.meanDelta == 0.5)
        #expect(c.ciLow < 0.5 && c.ciHigh > 0.5)
        #expect(c.ciLow >= 0 && c.ciHigh <= 1)
    }

    @Test func noiseFloorIsTheLargerOfDeltaAndHalfWidth() {
        let rerun = PairedComparison.compare(parent: ["a": [1], "b": [0]], child: ["a": [0], "b": [1]])
        #expect(rerun.meanDelta == 0)
        #expect(KeepRule.noiseFloor(rerun: rerun) == (rerun.ciHigh - rerun.ciLow) / 2)
        #expect(KeepRule.noiseFloor(rerun: rerun) > 0)
        let same = PairedComparison.compare(parent: ["a": [1], "b": [0]], child: ["a": [1], "b": [0]])
        #expect(KeepRule.noiseFloor(rerun: same) == 0)
    }

    @Test func keepRuleVerdicts() {
        let rule = KeepRule(alpha: 0.05, noiseFloor: 0.1)
        let better = PairedComparison.compare(parent: Dictionary(uniqueKeysWithValues: (1...6).map { ("t\($0)", [0.0]) }),
                                              child: Dictionary(uniqueKeysWithValues: (1...6).map { ("t\($0)", [1.0]) }))
        #expect(rule.judgeSearch(better, simpler: false) == .improved)
        // Significant but inside a large noise floor.
        if case .discard(let reason) = KeepRule(alpha: 0.05, noiseFloor: 1).judgeSearch(better, simpler: false) {
            #expect(reason.contains("noise floor"))
        } else {
            Issue.record("an improvement inside the noise floor was not discarded")
        }
        let equal = PairedComparison.compare(parent: ["a": [1], "b": [0]], child: ["a": [1], "b": [0]])
        #expect(rule.judgeSearch(equal, simpler: true) == .equalAndSimpler)
        #expect(rule.judgeSearch(equal, simpler: false) != .equalAndSimpler)
        let worse = PairedComparison.compare(parent: better.childMeans.mapValues { [$0] }, child: better.parentMeans.mapValues { [$0] })
        if case .discard(let reason) = rule.judgeSearch(worse, simpler: true) { #expect(reason.hasPrefix("Worse")) } else {
            Issue.record("a worse child was not discarded")
        }
        // Too few tasks for significance: +1 on two tasks cannot reach alpha 0.05 (p = 1/4).
        let small = PairedComparison.compare(parent: ["a": [0], "b": [0]], child: ["a": [1], "b": [1]])
        if case .discard(let reason) = rule.judgeSearch(small, simpler: false) { #expect(reason.contains("Not significant")) } else {
            Issue.record("an insignificant change was kept")
        }
        #expect(rule.validationVeto(child: 0.5, parent: 0.55) == nil)
        #expect(rule.validationVeto(child: 0.3, parent: 0.5) != nil)
        #expect(rule.validationVeto(child: nil, parent: 0.5) == nil)
    }

    @Test func simplerMeansFewerBytesAndNoMoreFilesOrTools() {
        let parent = HarnessSize(files: [("harness.toml", 500), ("system.md", 100), ("tools/bash.toml", 200)])
        #expect(HarnessSize(files: [("harness.toml", 500), ("system.md", 60), ("tools/bash.toml", 200)]).isSimpler(than: parent))
        #expect(!HarnessSize(files: [("harness.toml", 500), ("system.md", 10), ("tools/bash.toml", 200), ("tools/x.toml", 50)])
            .isSimpler(than: parent))
        #expect(!parent.isSimpler(than: parent))
        #expect(parent.tools == 1 && parent.files == 3 && parent.bytes == 800)
        let withNotes = HarnessSize(files: [("harness.toml", 500), ("system.md", 100), ("tools/bash.toml", 200), ("README.md", 2000)])
        #expect(withNotes == parent, "notes the agent never reads do not count")
    }

    @Test func budgetsNameTheCapReached() {
        let b = OptimizeBudgets(usd: 1, tokens: 1000, wallSeconds: 60, experiments: 3)
        #expect(b.exhausted(usd: 0.5, tokens: 10, wallSeconds: 1, experiments: 2) == nil)
        #expect(b.exhausted(usd: 1.2, tokens: 10, wallSeconds: 1, experiments: 0)?.hasPrefix("dollar") == true)
        #expect(b.exhausted(usd: 0, tokens: 1000, wallSeconds: 1, experiments: 0)?.hasPrefix("token") == true)
        #expect(b.exhausted(usd: 0, tokens: 0, wallSeconds: 61, experiments: 0)?.hasPrefix("time") == true)
        #expect(b.exhausted(usd: 0, tokens: 0, wallSeconds: 0, experiments: 3)?.hasPrefix("experiment") == true)
    }
}
