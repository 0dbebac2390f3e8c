import AAAnalytics
import Testing

@Suite struct DetectorTests {
    typealias Call = Fixtures.Call

    /// The signatures of the last trial after the others (references for lost direction).
    func signatures(_ trial: TrialRecord) -> [Signature] {
        let tables = TableBuilder.build([trial])
        return Detectors(tables: tables).signatures(trial: 0)
    }

    func kinds(_ trial: TrialRecord) -> [FailureKind] { signatures(trial).map(\.kind) }

    let verified = [Call(command: "python3 -m pytest -q", output: "3 passed")]

    @Test func sameCommandRepeatedIsALoop() {
        let calls = [Call(command: "ls")] + Array(repeating: Call(command: "cat /app/log.txt", output: "waiting"), count: 4) + verified
        let s = signatures(Fixtures.trial("t", reward: 0, calls: calls))
        #expect(s.first?.kind == .loop)
        #expect(s.first?.step == 2)
        #expect(s.first?.template == "cat <*>")
    }

    @Test func alternationIsALoop() {
        let ab = [Call(command: "make"), Call(command: "vi main.c")]
        let s = signatures(Fixtures.trial("t", reward: 0, calls: [Call(command: "ls")] + ab + ab + ab + verified))
        #expect(s.first?.kind == .loop)
        #expect(s.first?.template == "make ⇄ vi main.c")
    }

    @Test func twoRepeatsAreNotALoop() {
        let calls = [Call(command: "make"), Call(command: "make"), Call(command: "./a.out")] + verified
        #expect(!kinds(Fixtures.trial("t", reward: 0, calls: calls)).contains(.loop))
    }

    @Test func consecutiveFailuresAreAStreak() {
        let calls = [
            Call(command: "gcc a.c", exit: 1, output: "a.c:3: error: expected ';'"),
            Call(command: "python3 x.py", exit: 1, output: "ModuleNotFoundError: No module named 'numpy'"),
            Call(command: "node y.js", exit: 1, output: "SyntaxError: Unexpected token"),
        ] + verified
        let s = signatures(Fixtures.trial("t", reward: 0, calls: calls))
        #expect(s.map(\.kind).contains(.errorStreak))
        #expect(!s.map(\.kind).contains(.repeatedError))
        #expect(s.first { $0.kind == .errorStreak }?.step == 1)
    }

    @Test func theSameErrorThreeTimesIsRepeated() {
        let fail = { (n: Int) in Call(command: "python3 solve.py --n \(n)", exit: 1, output: "ImportError: cannot import name 'x\(n)'") }
        let calls = [fail(1), Call(command: "ls"), fail(2), Call(command: "pwd"), fail(3)] + verified
        let s = signatures(Fixtures.trial("t", reward: 0, calls: calls))
        #expect(s.first?.kind == .repeatedError)
        #expect(s.first?.template == "ImportError: cannot import name 'x<*>'")
    }

    @Test func aLongTailOfOldCommandsIsNoProgress() {
        let words = ["ls", "pwd", "whoami", "date", "env"]
        let explore = words.map { Call(command: $0) }
        // The same commands again, in turn, so it is neither a loop nor an alternation.
        let tail = (0..<6).map { i in Call(command: words[i % 5], output: "same") }
        let s = signatures(Fixtures.trial("t", reward: 0, calls: explore + tail))
        #expect(s.map(\.kind).contains(.noProgress))
        #expect(s.first { $0.kind == .noProgress }?.step == 6)
    }

    @Test func stoppingWithoutACheckIsGivingUpEarly() {
        let t = Fixtures.trial("t", reward: 0, calls: [Call(command: "ls"), Call(command: "vim main.py")], finalMessage: "I could not find the bug.")
        #expect(kinds(t) == [.gaveUpEarly])
    }

    @Test func claimingSuccessWithoutACheck() {
        let t = Fixtures.trial("t", reward: 0, calls: [Call(command: "ls"), Call(command: "sed -i s/a/b/ main.py")],
                               finalMessage: "I have fixed the bug; the task is complete.")
        #expect(kinds(t) == [.claimedSuccess])
        let checked = Fixtures.trial("t", reward: 0, calls: [Call(command: "sed -i s/a/b/ main.py")] + verified,
                                     finalMessage: "The task is complete.")
        #expect(kinds(checked) == [.failedVerification])
    }

    @Test func timeoutsAndBudgets() {
        #expect(kinds(Fixtures.trial("t", reward: nil, calls: verified, exception: "AgentTimeoutError")) == [.agentTimeout])
        #expect(kinds(Fixtures.trial("t", reward: nil, calls: verified, exception: "VerifierTimeoutError")) == [.verifierTimeout])
        #expect(kinds(Fixtures.trial("t", reward: 0, calls: verified, budget: "wall_time")) == [.agentTimeout])
        #expect(kinds(Fixtures.trial("t", reward: 0, calls: verified, budget: "turns")) == [.budgetExhausted])
    }

    @Test func contextOverflow() {
        #expect(kinds(Fixtures.trial("t", reward: nil, calls: verified, exception: "ContextLengthExceededError")).first == .contextOverflow)
        var t = Fixtures.trial("t", reward: 0, calls: verified)
        var e = TrialRecord.Step(index: 2, kind: .error)
        e.category = "context_overflow"
        e.errorLine = "prompt is too long: 210000 tokens > 200000 maximum"
        t.steps.append(e)
        #expect(kinds(t).first == .contextOverflow)
    }

    @Test func toolMisuse() {
        let notFound = [Call(command: "rg foo", exit: 127, output: "bash: rg: command not found"),
                        Call(command: "fd bar", exit: 127, output: "bash: fd: command not found")] + verified
        let s = signatures(Fixtures.trial("t", reward: 0, calls: notFound))
        #expect(s.first?.kind == .toolMisuse)
        #expect(s.first?.template == "bash: <*>: command not found" || s.first?.template == "bash: rg: command not found")
        var unknown = Fixtures.trial("t", reward: 0, calls: verified)
        for i in 0..<2 {
            var e = TrialRecord.Step(index: 2 + i, kind: .error)
            e.tool = "browser"
            e.category = "unknown_tool"
            e.errorLine = "unknown tool: browser"
            unknown.steps.append(e)
        }
        #expect(kinds(unknown).first == .toolMisuse)
        // One missing command the agent recovers from is not misuse.
        let once = [Call(command: "rg foo", exit: 127, output: "bash: rg: command not found"), Call(command: "grep -r foo .")] + verified
        #expect(!kinds(Fixtures.trial("t", reward: 0, calls: once)).contains(.toolMisuse))
    }

    @Test func infrastructure() {
        #expect(kinds(Fixtures.trial("t", reward: nil, calls: [], exception: "EnvironmentStartTimeoutError")).first == .infrastructure)
        let disk = [Call(command: "pip install torch", exit: 1, output: "OSError: [Errno 28] No space left on device")] + verified
        #expect(kinds(Fixtures.trial("t", reward: 0, calls: disk)).first == .infrastructure)
    }

    @Test func wrongOutputFromTheVerifier() {
        let missing = Fixtures.trial("t", reward: 0, calls: verified, verifier: "E   FileNotFoundError: [Errno 2] No such file or directory: '/app/out.json'")
        let s = signatures(missing)
        #expect(s.first?.kind == .wrongOutput)
        let format = Fixtures.trial("t", reward: 0, calls: verified, verifier: "json.decoder.JSONDecodeError: Expecting value: line 1 column 1")
        #expect(kinds(format).first == .wrongOutput)
    }

    @Test func otherwiseTheVerifierFailed() {
        let t = Fixtures.trial("t", reward: 0, calls: verified, verifier: "collected 3 items\nFAILED tests/test_out.py::test_sum - assert 3 == 4\n1 failed, 2 passed")
        let s = signatures(t)
        #expect(s.map(\.kind) == [.failedVerification])
        #expect(s[0].template == "FAILED tests/test_out.py::test_sum - assert <*> == <*>")
    }
}
