/// Rule-based failure detectors over the trace tables. Each looks at one trial and returns a
/// signature when its failure mode shows. Thresholds are general (the same for every domain):
/// a loop is the same command 4 times in a row (3 if each failed) or an A-B alternation over 6
/// calls; a streak is 3 failed actions in a row; an error is "repeated" from its 3rd occurrence.
public struct Detectors: Sendable {
    public let tables: TraceTables
    private let toolCallCode: Int32?
    private let errorCode: Int32?
    /// Per steps row: whether it failed.
    private let failedRow: [Bool]
    /// Keyword flags per dictionary entry of a string column (computed once, looked up per row).
    private let infraLine, contextLine, misuseLine, notFoundLine: [Bool]
    private let infraCategory, contextCategory, misuseCategory: [Bool]
    private let checkCommand: [Bool]
    private let infraException, contextException, verifierTimeoutException, agentTimeoutException: [Bool]
    private let claimMessage, admissionMessage: [Bool]

    public init(tables: TraceTables) {
        self.tables = tables
        toolCallCode = tables.steps.kind.existingCode(TrialRecord.Step.Kind.toolCall.rawValue)
        errorCode = tables.steps.kind.existingCode(TrialRecord.Step.Kind.error.rawValue)
        failedRow = tables.steps.failedRows()
        func flags(_ column: StringColumn, _ words: [String]) -> [Bool] {
            let matcher = KeywordMatcher(words)
            return column.dictionary.map { matcher.matches($0) }
        }
        let s = tables.steps, t = tables.trials
        infraLine = flags(s.errorLine, Self.infrastructureLines)
        contextLine = flags(s.errorLine, Self.contextLines)
        misuseLine = flags(s.errorLine, Self.misuseLines)
        notFoundLine = flags(s.errorLine, ["command not found"])
        infraCategory = s.category.dictionary.map { Self.infrastructureCategories.contains($0.lowercased()) }
        contextCategory = flags(s.category, ["context"])
        misuseCategory = s.category.dictionary.map { Self.misuseCategories.contains($0.lowercased()) }
        checkCommand = flags(s.command, Self.checkWords)
        infraException = flags(t.exception, Self.infrastructureExceptions)
        contextException = flags(t.exception, ["contextlength", "context_length"])
        verifierTimeoutException = flags(t.exception, ["verifiertimeout"])
        agentTimeoutException = flags(t.exception, ["agenttimeout"])
        claimMessage = flags(t.finalMessage, Self.successClaims)
        admissionMessage = flags(t.finalMessage, Self.admissions)
    }

    /// The flag of a row's value, false when the value is missing.
    private func flag(_ flags: [Bool], _ column: StringColumn, _ row: Int) -> Bool {
        let code = column.codes[row]
        return code >= 0 && flags[Int(code)]
    }

    /// Every signature that fires on a trial, primary (highest priority) first.
    public func signatures(trial: Int) -> [Signature] {
        let found: [Signature?] = [
            infrastructure(trial), contextOverflow(trial), verifierTimeout(trial), toolMisuse(trial), loop(trial),
            repeatedError(trial), errorStreak(trial), noProgress(trial), agentTimeout(trial), budgetExhausted(trial),
            wrongOutput(trial), claimedSuccess(trial), gaveUpEarly(trial),
        ]
        let signatures = found.compactMap { $0 }
        return signatures.isEmpty ? [failedVerification(trial)] : signatures
    }

    // MARK: - Detectors

    public func infrastructure(_ trial: Int) -> Signature? {
        if flag(infraException, tables.trials.exception, trial) {
            return Signature(kind: .infrastructure, step: lastStep(trial), template: tables.trials.exception[trial])
        }
        for row in tables.trials.steps(of: trial) {
            if isError(row), flag(infraCategory, tables.steps.category, row) {
                return Signature(kind: .infrastructure, step: step(row), template: errorTemplate(row) ?? tables.steps.category[row], row: row)
            }
            if flag(infraLine, tables.steps.errorLine, row) {
                return Signature(kind: .infrastructure, step: step(row), template: errorTemplate(row), row: row)
            }
        }
        return nil
    }

    public func contextOverflow(_ trial: Int) -> Signature? {
        if flag(contextException, tables.trials.exception, trial) {
            return Signature(kind: .contextOverflow, step: lastStep(trial), template: tables.trials.exception[trial])
        }
        for row in tables.trials.steps(of: trial) {
            if flag(contextCategory, tables.steps.category, row) || (isError(row) && flag(contextLine, tables.steps.errorLine, row)) {
                return Signature(kind: .contextOverflow, step: step(row), template: errorTemplate(row) ?? tables.steps.category[row], row: row)
            }
        }
        return nil
    }

    public func verifierTimeout(_ trial: Int) -> Signature? {
        guard flag(verifierTimeoutException, tables.trials.exception, trial) else { return nil }
        return Signature(kind: .verifierTimeout, step: lastStep(trial), template: tables.trials.exception[trial])
    }

    public func agentTimeout(_ trial: Int) -> Signature? {
        let exception = tables.trials.exception[trial] ?? ""
        guard flag(agentTimeoutException, tables.trials.exception, trial) || tables.trials.budgetExhausted[trial] == "wall_time" else { return nil }
        return Signature(kind: .agentTimeout, step: lastStep(trial), template: exception.isEmpty ? "wall_time" : exception)
    }

    public func budgetExhausted(_ trial: Int) -> Signature? {
        guard let budget = tables.trials.budgetExhausted[trial], budget != "wall_time" else { return nil }
        return Signature(kind: .budgetExhausted, step: lastStep(trial), template: budget)
    }

    /// Unknown tools, bad arguments and missing commands, when they happen twice or end the run.
    public func toolMisuse(_ trial: Int) -> Signature? {
        var hits: [Int] = []
        for row in tables.trials.steps(of: trial) {
            let misuse = flag(misuseCategory, tables.steps.category, row)
                || (isError(row) && flag(misuseLine, tables.steps.errorLine, row))
                || tables.steps.exitCode[row] == 127 || flag(notFoundLine, tables.steps.errorLine, row)
            if misuse { hits.append(row) }
        }
        let rows = tables.trials.steps(of: trial)
        guard let first = hits.first, hits.count >= 2 || hits.last == rows.last else { return nil }
        return Signature(kind: .toolMisuse, step: step(first), template: errorTemplate(first) ?? tables.steps.category[first], row: first)
    }

    /// The same command over and over, or two commands alternating.
    public func loop(_ trial: Int) -> Signature? {
        let calls = toolRows(trial)
        guard let first = calls.first else { return nil }
        let commands = calls.map { tables.steps.command.codes[$0] }
        var run = 1
        var failedRun = failedRow[first] ? 1 : 0
        for i in commands.indices.dropFirst() {
            if commands[i] == commands[i - 1], commands[i] >= 0 {
                run += 1
                failedRun = failedRow[calls[i]] ? failedRun + 1 : 0
            } else {
                run = 1
                failedRun = failedRow[calls[i]] ? 1 : 0
            }
            if run >= 4 || failedRun >= 3 {
                let start = calls[i - run + 1]
                return Signature(kind: .loop, step: step(start), template: commandTemplate(start), row: start)
            }
            if i >= 5 {
                let a = commands[i - 1], b = commands[i]
                if a != b, a >= 0, b >= 0,
                   commands[i - 3] == a, commands[i - 5] == a, commands[i - 2] == b, commands[i - 4] == b {
                    let start = calls[i - 5]
                    let template = [commandTemplate(calls[i - 1]), commandTemplate(calls[i])].compactMap { $0 }.joined(separator: " ⇄ ")
                    return Signature(kind: .loop, step: step(start), template: template, row: start)
                }
            }
        }
        return nil
    }

    /// One error template seen three times or more.
    public func repeatedError(_ trial: Int) -> Signature? {
        var seen: [Int32: (count: Int, first: Int)] = [:]
        for row in tables.trials.steps(of: trial) where isError(row) {
            let t = tables.steps.errorTemplate[row]
            guard t != 0 else { continue }
            let entry = seen[t, default: (0, row)]
            seen[t] = (entry.count + 1, entry.first)
            if entry.count + 1 >= 3 {
                return Signature(kind: .repeatedError, step: step(entry.first), template: errorTemplate(row), row: entry.first)
            }
        }
        return nil
    }

    /// Three failed actions in a row.
    public func errorStreak(_ trial: Int) -> Signature? {
        var streak: [Int] = []
        for row in tables.trials.steps(of: trial) where isAction(row) {
            if isError(row) {
                streak.append(row)
                if streak.count >= 3 {
                    return Signature(kind: .errorStreak, step: step(streak[0]), template: errorTemplate(row), row: streak[0])
                }
            } else {
                streak.removeAll()
            }
        }
        return nil
    }

    /// A long tail (at least 5 calls and 40% of the run) in which no call tried anything new successfully.
    public func noProgress(_ trial: Int) -> Signature? {
        guard !tables.trials.succeeded(trial) else { return nil }
        let calls = toolRows(trial)
        guard calls.count >= 8 else { return nil }
        let last = lastProgress(calls)
        let tail = calls.count - 1 - (last ?? -1)
        guard tail >= 5, Double(tail) >= 0.4 * Double(calls.count) else { return nil }
        let first = calls[(last ?? -1) + 1]
        return Signature(kind: .noProgress, step: step(first), template: commandTemplate(first), row: first)
    }

    /// Verifier output that says the expected file is missing or cannot be parsed.
    public func wrongOutput(_ trial: Int) -> Signature? {
        guard let output = tables.trials.verifierOutput[trial] else { return nil }
        for line in output.split(separator: "\n") {
            if Self.wrongOutputMatcher.matches(line) {
                return Signature(kind: .wrongOutput, step: lastStep(trial), template: TemplateMasker.masked(line))
            }
        }
        return nil
    }

    /// The last message claims the task is done, yet none of the last calls checked anything.
    public func claimedSuccess(_ trial: Int) -> Signature? {
        guard tables.trials.exception.codes[trial] < 0, flag(claimMessage, tables.trials.finalMessage, trial),
              !flag(admissionMessage, tables.trials.finalMessage, trial), !verifiedAtEnd(trial)
        else { return nil }
        let calls = toolRows(trial)
        return Signature(kind: .claimedSuccess, step: lastStep(trial), template: calls.last.flatMap(commandTemplate), row: calls.last)
    }

    /// Stopped on its own (no exception, no budget hit) without verifying and without claiming success.
    public func gaveUpEarly(_ trial: Int) -> Signature? {
        guard tables.trials.exception[trial] == nil, tables.trials.budgetExhausted[trial] == nil,
              !verifiedAtEnd(trial), claimedSuccess(trial) == nil
        else { return nil }
        let calls = toolRows(trial)
        return Signature(kind: .gaveUpEarly, step: lastStep(trial), template: calls.last.flatMap(commandTemplate), row: calls.last)
    }

    /// The fallback: the first failing line of the verifier's output, or the exception.
    public func failedVerification(_ trial: Int) -> Signature {
        let line = tables.trials.verifierOutput[trial]?.split(separator: "\n").first { TextExcerpt.looksLikeError($0) }
        return Signature(kind: .failedVerification, step: lastStep(trial),
                         template: line.map { TemplateMasker.masked($0) } ?? tables.trials.exception[trial])
    }

    // MARK: - Helpers

    /// Tool-call rows of a trial, in order.
    public func toolRows(_ trial: Int) -> [Int] {
        tables.trials.steps(of: trial).filter { tables.steps.kind.codes[$0] == toolCallCode }
    }

    /// The index into `calls` of the last call that ran a new command template successfully.
    public func lastProgress(_ calls: [Int]) -> Int? {
        var seen = Set<Int32>()
        var last: Int?
        for (i, row) in calls.enumerated() {
            let t = tables.steps.commandTemplate[row]
            if !seen.contains(t), !failedRow[row] { last = i }
            seen.insert(t)
        }
        return last
    }

    /// Whether one of the last three calls is a check (tests, diff, verify …) that succeeded.
    public func verifiedAtEnd(_ trial: Int) -> Bool {
        toolRows(trial).suffix(3).contains { row in !failedRow[row] && flag(checkCommand, tables.steps.command, row) }
    }

    func isError(_ row: Int) -> Bool { failedRow[row] }
    func isAction(_ row: Int) -> Bool { tables.steps.kind.codes[row] == toolCallCode || tables.steps.kind.codes[row] == errorCode }
    func step(_ row: Int) -> Int { Int(tables.steps.index[row]) }
    func lastStep(_ trial: Int) -> Int { Int(tables.trials.stepCount[trial]) }
    func errorTemplate(_ row: Int) -> String? { tables.errorTemplate(tables.steps.errorTemplate[row]) }
    func commandTemplate(_ row: Int) -> String? { tables.commandTemplate(tables.steps.commandTemplate[row]) }

    static let infrastructureExceptions = [
        "environment", "docker", "sandbox", "network", "ratelimit", "apierror", "api_error", "connection", "setup",
        "build", "internalserver", "serviceunavailable", "outofmemory",
    ]
    static let infrastructureCategories: Set<String> = ["infrastructure", "sandbox", "api", "network", "rate_limit", "provider", "environment"]
    static let infrastructureLines = [
        "no space left on device", "could not resolve host", "temporary failure in name resolution",
        "network is unreachable", "cannot allocate memory", "read-only file system", "rate limit",
    ]
    static let wrongOutputMatcher = KeywordMatcher(wrongOutputLines)
    static let contextLines = ["context length", "maximum context", "context window", "prompt is too long", "too many tokens"]
    static let misuseCategories: Set<String> = ["unknown_tool", "bad_arguments", "invalid_arguments", "parse_error", "invalid_json"]
    static let misuseLines = ["unknown tool", "no such tool", "invalid arguments", "invalid json", "missing required argument"]
    static let wrongOutputLines = [
        "no such file or directory", "filenotfounderror", "does not exist", "jsondecodeerror", "expecting value",
        "invalid format", "wrong format", "parsererror", "could not convert", "unicodedecodeerror", "malformed",
    ]
    static let successClaims = [
        "task is complete", "task has been completed", "successfully", "i have completed", "is now complete",
        "all done", "completed the task", "has been fixed", "is fixed", "should now", "the task is done",
    ]
    static let admissions = ["unable to", "could not", "couldn't", "cannot", "can't", "give up", "not able to"]
    static let checkWords = ["test", "check", "verify", "validat", "diff ", "cmp ", "assert", "expect"]
}
