@testable import AACore
import Testing

@Suite struct JobStatsTests {
    static func trial(_ task: String, _ name: String, reward: Double?, exception: String? = nil) -> TrialResultRecord {
        TrialResultRecord(
            id: name, taskName: task, trialName: name, trialURI: "", taskID: .init(path: "/t"), source: nil, taskChecksum: "",
            config: .init(task: .init(path: "/t"), trialName: name, trialsDir: "/j", timeoutMultiplier: 1,
                          agent: .init(name: "oracle", kwargs: [:]), environment: .init(importPath: AutoAgent.environmentImportPath, forceBuild: false, delete: true),
                          verifier: .init(disable: false), jobID: "j"),
            agentInfo: .init(name: "oracle", version: "1"),
            verifierResult: reward.map { .init(rewards: ["reward": $0]) },
            exceptionInfo: exception.map { .init(exceptionType: $0, exceptionMessage: "", exceptionTraceback: "", occurredAt: "") },
            startedAt: "")
    }

    @Test func passAtKAndGroupings() {
        let trials = [
            Self.trial("a", "a1", reward: 1), Self.trial("a", "a2", reward: 0),
            Self.trial("b", "b1", reward: 0), Self.trial("b", "b2", reward: nil, exception: "AgentTimeoutError"),
        ]
        let s = JobRunner.evalStats(trials, attempts: 2)
        #expect(s.nTrials == 4)
        #expect(s.nErrors == 1)
        #expect(s.metrics == [["mean": 0.25]])
        // a: pass@1 = 1/2, pass@2 = 1; b: 0 and 0.
        #expect(s.passAtK["1"] == 0.25)
        #expect(s.passAtK["2"] == 0.5)
        #expect(s.rewardStats["reward"]?["1.0"] == ["a1"])
        #expect(s.exceptionStats["AgentTimeoutError"] == ["b2"])
    }

    @Test func rewardPrefersTheRewardKey() {
        var t = Self.trial("a", "a1", reward: nil)
        t.verifierResult = .init(rewards: ["accuracy": 0.5, "style": 1])
        #expect(t.reward == 0.75)
        t.verifierResult = .init(rewards: ["accuracy": 0.5, "reward": 0])
        #expect(t.reward == 0)
    }
}
