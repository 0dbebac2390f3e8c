import Foundation
import Logging
import Synchronization

/// What the optimize loop reports while it works.
public enum OptimizeEvent: Sendable {
    /// A progress line.
    case note(String)
    /// A job of an experiment's stage made progress.
    case job(experiment: Int, stage: String, JobEvent)
    /// An experiment got its final status.
    case finished(ExperimentRecord)
}

/// How an optimize run (or one external submission) ended.
public struct OptimizeSummary: Sendable {
    public var records: [ExperimentRecord]
    /// finished (a budget ended it) or stopped (a signal; resumable).
    public var state: String
    public var stopReason: String
}

/// The optimize loop: baseline (search twice for the noise floor, validation, test), then rounds
/// of K candidates — propose → guard → commit → checks → spot check → search panel → decision →
/// validation veto — keeping the best surviving candidate of each round on `main`. The ledger and
/// the harness repository are the whole state: a rerun of the same run directory continues.
public struct OptimizeLoop: Sendable {
    public let config: OptimizeConfig
    public let directory: OptimizeRunDirectory
    public let evaluator: PanelEvaluator
    /// Nil in external mode (`aa optimize submit`).
    public let metaAgent: MetaAgent?
    public let logger: Logger
    public let events: @Sendable (OptimizeEvent) -> Void
    public let ledger: ExperimentLedger
    public let repository: HarnessRepository
    let editGuard: EditGuard
    let program: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public init(config: OptimizeConfig, directory: OptimizeRunDirectory, evaluator: PanelEvaluator, metaAgent: MetaAgent?,
                logger: Logger, events: @escaping @Sendable (OptimizeEvent) -> Void = { _ in }) throws {
        self.config = config
        self.directory = directory
        self.evaluator = evaluator
        self.metaAgent = metaAgent
        self.logger = logger
        self.events = events
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        ledger = try ExperimentLedger(path: directory.ledger)
        repository = HarnessRepository(directory: directory.harness)
        guard let programData = FileManager.default.contents(atPath: config.program) else {
            throw Failure("cannot read \(config.program) (program.md, the meta-agent's standing instructions)")
        }
        program = String(decoding: programData, as: UTF8.self)
        let tests = evaluator.suite.values.map(\.testsDirectory).sorted()
        editGuard = EditGuard(taskNames: config.panels.all, verifierLiterals: EditGuard.verifierLiterals(testsDirectories: tests),
                              directive: ProgramDirective.parse(program), visibleNames: Set(config.panels.search))
    }

    // MARK: - The run

    /// Runs (or continues) the loop until a budget ends it or the task is cancelled.
    public func run() async throws -> OptimizeSummary {
        try await prepare()
        try ledger.setInfo("state", "running")
        try await reconcile()
        if try ledger.record(id: 0).map({ $0.status == .running }) ?? true {
            guard try await baseline() else { return try interruption() }
        }
        while true {
            if Task.isCancelled { return try stop(state: "stopped", reason: "signal") }
            if let reason = try budgetReason() { return try stop(state: "finished", reason: reason) }
            guard try await runRound() else { return try interruption() }
        }
    }

    /// Evaluates the edits an external agent made in the harness work tree as one experiment.
    public func submitExternal(description: String, hypothesis: String) async throws -> ExperimentRecord {
        guard let base = try ledger.record(id: 0), base.status == .baseline else {
            throw Failure("\(directory.path) has no baseline yet; run `aa optimize` first (--max-experiments 0 runs only the baseline)")
        }
        if let reason = try budgetReason(countingExperiments: false) { throw Failure("the run's budget is spent: \(reason)") }
        let records = try ledger.records()
        let round = (records.map(\.round).max() ?? 0) + 1
        let parent = try await repository.commit(of: "main")
        let parentRecord = try bestRecord()
        var record = ExperimentRecord(id: try ledger.nextID(), round: round, parentCommit: parent, description: description,
                                      hypothesis: hypothesis, parentScore: parentRecord.avgScore)
        try ledger.insert(record)
        let started = Date()
        guard try await admit(&record, proposal: Proposal(description: description, hypothesis: hypothesis), started: started) else {
            return record
        }
        try await decide(round: [await evaluate(record, parent: parentRecord, started: started)], parent: parentRecord)
        return try ledger.record(id: record.id) ?? record
    }

    /// Writes run.json, the ledger's run settings and the harness repository the first time.
    public func prepare() async throws {
        try FileManager.default.createDirectory(atPath: directory.path + "/experiments", withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: directory.config) { try config.write(runDirectory: directory.path) }
        if try ledger.info("started_at") == nil {
            let info: [String: String] = [
                "name": config.name, "suite": config.suite, "harness_source": config.harnessSource,
                "task_model": config.agentOptions.model ?? (try? Harness.load(directory: config.harnessSource))?.model.name ?? "",
                "meta_model": metaAgent?.endpoint.model ?? config.meta.model ?? "external",
                "seed": String(config.seed), "alpha": String(config.alpha), "trials_per_task": String(config.trialsPerTask),
                "candidates_per_round": String(config.candidatesPerRound), "panels": Self.json(config.panels),
                "started_at": ISOTime.string(Date()),
            ]
            for (key, value) in info.sorted(by: { $0.key < $1.key }) { try ledger.setInfo(key, value) }
        }
        try ledger.setInfo("budgets", Self.json(config.budgets))
        if await !repository.exists() {
            try? FileManager.default.removeItem(atPath: directory.harness)
            _ = try await HarnessRepository.create(at: directory.harness, from: config.harnessSource)
        }
        if !FileManager.default.fileExists(atPath: directory.learnings) {
            try Data("# Learnings\n\n".utf8).write(to: URL(fileURLWithPath: directory.learnings))
        }
    }

    /// `main` points at the last kept (or baseline) commit of the ledger; the work tree is clean.
    func reconcile() async throws {
        if let best = try? bestRecord(), let commit = best.commitID, try await repository.commit(of: "main") != commit {
            try await repository.advanceMain(to: commit)
        }
        try await repository.resetWorkTree()
    }

    func stop(state: String, reason: String) throws -> OptimizeSummary {
        try ledger.setInfo("state", state)
        try ledger.setInfo("stop_reason", reason)
        try ledger.writeResultsTSV(to: directory.results)
        events(.note("\(state == "stopped" ? "stopped" : "finished"): \(reason)"))
        return OptimizeSummary(records: try ledger.records(), state: state, stopReason: reason)
    }

    /// The cap the run has reached, if any; an external agent's submissions are not capped by number.
    func budgetReason(countingExperiments: Bool = true) throws -> String? {
        let records = try ledger.records()
        var budgets = config.budgets
        if !countingExperiments { budgets.experiments = nil }
        return budgets.exhausted(usd: records.map(\.costUSD).reduce(0, +), tokens: records.map(\.tokens).reduce(0, +),
                                        wallSeconds: records.map(\.wallSeconds).reduce(0, +),
                                        experiments: records.filter { $0.id > 0 && $0.status != .running }.count)
    }

    /// The current best: the last kept experiment, else the baseline.
    func bestRecord() throws -> ExperimentRecord {
        guard let best = try ledger.records().last(where: { $0.status == .keep || $0.status == .baseline }) else {
            throw Failure("the ledger has no baseline")
        }
        return best
    }

    // MARK: - Helpers

    /// Runs one stage's job, adding its cost to the record; nil when it was cancelled.
    func stage(_ id: Int, _ name: String, harness: String, tasks: [String], trials: Int,
               into record: inout ExperimentRecord) async throws -> PanelEvaluation? {
        events(.note("experiment \(id): \(name) — \(tasks.count) tasks × \(trials) trials"))
        let events = events
        let evaluator = evaluator
        let jobs = directory.jobs(id)
        // The dollar, token and time caps also stop a job mid-way: a watcher ends the job once the spending
        // recorded so far plus this job's reaches a cap, or the experiment's time runs past what is left.
        let records = try ledger.records()
        let watch = SpendWatch(usd: config.budgets.usd.map { $0 - records.map(\.costUSD).reduce(0, +) },
                               tokens: config.budgets.tokens.map { $0 - records.map(\.tokens).reduce(0, +) })
        let experimentStarted = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(record.startedAt)) ?? Date()
        let timeLeft = config.budgets.wallSeconds.map {
            $0 - records.filter { $0.id != id }.map(\.wallSeconds).reduce(0, +) - Date().timeIntervalSince(experimentStarted)
        }
        let (reached, notify) = AsyncStream<Void>.makeStream()
        let result = try await withThrowingTaskGroup(of: PanelEvaluation?.self) { group in
            group.addTask {
                defer { notify.finish() }
                return try await evaluator.evaluate(harnessDirectory: harness, tasks: tasks, trials: trials, jobsDirectory: jobs,
                                                    jobName: name) { event in
                    events(.job(experiment: id, stage: name, event))
                    if case .trialFinished(let trial, _, _) = event {
                        watch.add(trial)
                        if watch.exceeded { notify.yield() }
                    }
                }
            }
            if watch.capped {
                group.addTask {
                    for await _ in reached { break }
                    return nil
                }
            }
            if let timeLeft {
                group.addTask {
                    try? await Task.sleep(for: .seconds(max(0, timeLeft)))
                    if !Task.isCancelled { watch.expire() }
                    return nil
                }
            }
            var evaluation: PanelEvaluation?
            for try await value in group {
                if let value {
                    evaluation = value
                    group.cancelAll()
                } else if watch.exceeded {
                    group.cancelAll()
                }
            }
            return evaluation
        }
        guard let result else { throw Failure("the \(name) job of experiment \(id) ended without a result") }
        record.costUSD += result.costUSD
        record.tokens += result.tokens
        if watch.expired, result.cancelled || Task.isCancelled {
            // Counted now, so the stop is put down to the time cap; a resume redoes this experiment anyway.
            record.wallSeconds += Date().timeIntervalSince(experimentStarted)
        }
        if result.cancelled || Task.isCancelled {
            try ledger.update(record)
            return nil
        }
        try ledger.update(record)
        return result
    }

    /// Why the run stops after an interruption: a cap the recorded spending reached, else the signal.
    func interruption() throws -> OptimizeSummary {
        if let reason = try budgetReason() { return try stop(state: "finished", reason: reason) }
        return try stop(state: "stopped", reason: "signal")
    }

    /// The search tasks of a candidate's spot check: `spotTasks` of them, rotating with the id.
    func spotSelection(_ id: Int) -> [String] {
        let search = config.panels.search
        let count = min(max(1, config.spotTasks), search.count)
        return (0..<count).map { search[(id * count + $0) % search.count] }
    }

    func baselineNoiseFloor() throws -> Double {
        try ledger.record(id: 0)?.noiseFloor ?? 0
    }

    /// Writes analysis.json of a search job and returns its failure-mode counts.
    func analyze(_ search: PanelEvaluation, experiment id: Int) -> [String: Int] {
        guard let report = try? FailureReport.analyze(jobDirectory: search.jobDirectory, logger: logger) else { return [:] }
        try? report.write(to: directory.analysis(id))
        return report.failureModes
    }

    /// Records the experiment's final status, rewrites results.tsv and adds a line to the learnings memo.
    func finish(_ record: inout ExperimentRecord, _ status: ExperimentStatus, stage: ExperimentStage, reason: String, started: Date) throws {
        record.status = status
        record.stage = stage
        record.reason = reason
        record.finishedAt = ISOTime.string(Date())
        record.wallSeconds += Date().timeIntervalSince(started)
        try ledger.update(record)
        try ledger.writeResultsTSV(to: directory.results)
        if record.id > 0 { appendLearning("- Experiment \(record.id) (\(status.rawValue)): \(MetaBriefing.oneLine(record.description)) — \(reason)") }
        events(.finished(record))
    }

    /// Appends a line to learnings.md, dropping the oldest lines past the size cap.
    func appendLearning(_ line: String) {
        var text = FileManager.default.contents(atPath: directory.learnings).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += line + "\n"
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while lines.joined(separator: "\n").utf8.count > MetaAgentTools.maxLearningsBytes, lines.count > 2 { lines.remove(at: 1) }
        try? Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory.learnings))
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Spending of one job against what is left of the dollar and token caps.
final class SpendWatch: Sendable {
    private let state: Mutex<(usd: Double, tokens: Int)>
    private let usdLeft: Double?
    private let tokensLeft: Int?

    private let timeUp = Mutex(false)

    init(usd: Double?, tokens: Int?) {
        usdLeft = usd
        tokensLeft = tokens
        state = Mutex((0, 0))
    }

    /// The time cap was reached.
    func expire() { timeUp.withLock { $0 = true } }

    var expired: Bool { timeUp.withLock { $0 } }

    /// Whether any cap applies.
    var capped: Bool { usdLeft != nil || tokensLeft != nil }

    func add(_ trial: TrialResultRecord) {
        state.withLock { s in
            s.usd += trial.agentResult?.costUSD ?? 0
            s.tokens += (trial.agentResult?.nInputTokens ?? 0) + (trial.agentResult?.nOutputTokens ?? 0)
        }
    }

    var exceeded: Bool {
        expired || state.withLock { s in
            (usdLeft.map { s.usd >= $0 } ?? false) || (tokensLeft.map { s.tokens >= $0 } ?? false)
        }
    }
}
