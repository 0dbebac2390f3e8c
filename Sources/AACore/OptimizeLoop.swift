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
                              directive: ProgramDirective.parse(program))
    }

    // MARK: - The run

    /// Runs (or continues) the loop until a budget ends it or the task is cancelled.
    public func run() async throws -> OptimizeSummary {
        try await prepare()
        try ledger.setInfo("state", "running")
        try await reconcile()
        if try ledger.record(id: 0).map({ $0.status == .running }) ?? true {
            guard try await baseline() else { return try stop(state: "stopped", reason: "signal") }
        }
        while true {
            if Task.isCancelled { return try stop(state: "stopped", reason: "signal") }
            if let reason = try budgetReason() { return try stop(state: "finished", reason: reason) }
            guard try await runRound() else { return try stop(state: "stopped", reason: "signal") }
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
        if !repository.exists {
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

    // MARK: - Baseline

    /// Runs the baseline; false when cancelled.
    func baseline() async throws -> Bool {
        let started = Date()
        try? FileManager.default.removeItem(atPath: directory.experiment(0))
        try await repository.resetWorkTree()
        let commit = try await repository.commit(of: "main")
        var record = ExperimentRecord(id: 0, round: 0, commitID: commit, stage: .checks,
                                      description: "baseline: \((config.harnessSource as NSString).lastPathComponent)")
        if try ledger.record(id: 0) == nil { try ledger.insert(record) } else { try ledger.update(record) }
        events(.note("baseline: \(config.panels.search.count) search, \(config.panels.validation.count) validation, \(config.panels.test.count) test tasks × \(config.trialsPerTask) trials"))
        let snapshot = directory.snapshot(0)
        try await repository.export(commit, to: snapshot)
        do { _ = try Harness.load(directory: snapshot) } catch {
            throw Failure("the starting harness does not load: \(error)")
        }
        record.stage = .search
        try ledger.update(record)
        guard let search = try await stage(0, "search", harness: snapshot, tasks: config.panels.search, trials: config.trialsPerTask, into: &record),
              let rerun = try await stage(0, "search-rerun", harness: snapshot, tasks: config.panels.search, trials: config.trialsPerTask, into: &record)
        else { return false }
        let aa = PairedComparison.compare(parent: search.rewards, child: rerun.rewards, level: 1 - config.alpha, seed: config.seed)
        let floor = KeepRule.noiseFloor(rerun: aa)
        record.avgScore = search.score
        record.passed = search.passed
        record.trials = search.trials
        record.taskScores = search.taskScores
        record.noiseFloor = floor
        record.statistic = aa.meanDelta
        record.ciLow = aa.ciLow
        record.ciHigh = aa.ciHigh
        record.failureModes = analyze(search, experiment: 0)
        record.stage = .validation
        try ledger.update(record)
        try ledger.setInfo("noise_floor", String(floor))
        if !config.panels.validation.isEmpty {
            guard let validation = try await stage(0, "validation", harness: snapshot, tasks: config.panels.validation,
                                                   trials: config.trialsPerTask, into: &record) else { return false }
            record.validationScore = validation.score
        }
        if !config.panels.test.isEmpty {
            guard let test = try await stage(0, "test", harness: snapshot, tasks: config.panels.test, trials: config.trialsPerTask,
                                             into: &record) else { return false }
            record.testScore = test.score
        }
        record.reason = String(format: "The starting harness; its search panel run twice gives a noise floor of %.3f.", floor)
        try finish(&record, .baseline, stage: .done, reason: record.reason, started: started)
        return true
    }

    // MARK: - Rounds

    /// One round of candidates; false when cancelled.
    func runRound() async throws -> Bool {
        let records = try ledger.records()
        let parent = try bestRecord()
        guard let parentCommit = parent.commitID else { throw Failure("experiment \(parent.id) is the best but has no commit") }
        try await repository.resetWorkTree()
        var admitted: [(ExperimentRecord, Date)] = []
        var round = (records.map(\.round).max() ?? 0) + 1
        // Candidates a crash left running are redone: from their commit when they had one, else proposed again.
        for var record in records.filter({ $0.id > 0 && $0.status == .running }) {
            round = record.round
            if record.commitID != nil {
                for leftover in [directory.jobs(record.id), directory.snapshot(record.id), directory.analysis(record.id)] {
                    try? FileManager.default.removeItem(atPath: leftover)
                }
                record.stage = .checks
                try ledger.update(record)
                events(.note("experiment \(record.id): redoing its evaluation after an interruption"))
                admitted.append((record, Date()))
            } else {
                try? FileManager.default.removeItem(atPath: directory.experiment(record.id))
                try ledger.delete(id: record.id)
            }
        }
        let finished = try ledger.records().filter { $0.id > 0 && $0.status != .running }.count
        var slots = config.candidatesPerRound - admitted.count
        if let cap = config.budgets.experiments { slots = min(slots, cap - finished - admitted.count) }
        let existing = try ledger.records().filter { $0.round == round }.count
        for candidate in 0..<max(0, slots) {
            if Task.isCancelled { return false }
            guard let metaAgent else { throw Failure("no meta-agent is configured") }
            let started = Date()
            var record = ExperimentRecord(id: try ledger.nextID(), round: round, candidate: existing + candidate, parentCommit: parentCommit,
                                          description: "(proposing)", parentScore: parent.avgScore)
            try ledger.insert(record)
            events(.note("experiment \(record.id): the meta-agent proposes an edit (round \(round))"))
            let outcome = await propose(record.id, metaAgent: metaAgent, parent: parent)
            record.costUSD += outcome.costUSD + outcome.spotCost
            record.tokens += outcome.usage.inputTokens + outcome.usage.outputTokens + outcome.spotTokens
            if Task.isCancelled { return false }
            guard let proposal = outcome.proposal else {
                try await repository.resetWorkTree()
                try finish(&record, .crash, stage: .propose, reason: "The meta-agent did not submit an edit (\(outcome.stopReason)).", started: started)
                continue
            }
            record.description = proposal.description
            record.hypothesis = proposal.hypothesis
            if try await admit(&record, proposal: proposal, started: started) { admitted.append((record, started)) }
        }
        guard !admitted.isEmpty else { return !Task.isCancelled }
        let verdicts = await withTaskGroup(of: CandidateVerdict.self) { group in
            for (record, started) in admitted {
                group.addTask { await self.evaluate(record, parent: parent, started: started) }
            }
            var all: [CandidateVerdict] = []
            for await verdict in group { all.append(verdict) }
            return all
        }
        if verdicts.contains(where: { if case .interrupted = $0 { return true }; return false }) { return false }
        try await decide(round: verdicts, parent: parent)
        return !Task.isCancelled
    }

    struct ProposalOutcome {
        var proposal: Proposal?
        var usage: ModelUsage
        var costUSD: Double
        var spotCost: Double
        var spotTokens: Int
        var stopReason: String
    }

    /// The meta-agent edits the work tree and submits; its transcript goes to experiments/<id>/meta/.
    func propose(_ id: Int, metaAgent: MetaAgent, parent: ExperimentRecord) async -> ProposalOutcome {
        let meta = directory.meta(id)
        try? FileManager.default.createDirectory(atPath: meta, withIntermediateDirectories: true)
        let searchJob = directory.jobs(parent.id) + "/search"
        let analysis = try? FailureReport.analyze(jobDirectory: searchJob, logger: logger)
        let report = analysis?.markdown() ?? "(no failure report)"
        let summary = analysis?.markdown(budget: MetaBriefing.reportBudget) ?? report
        let learnings = FileManager.default.contents(atPath: directory.learnings).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let files = (try? await repository.files(of: "main")) ?? []
        let briefing = MetaBriefing.render(config: config, records: (try? ledger.records()) ?? [], best: parent, learnings: learnings,
                                           failureReport: summary, harnessFiles: files)
        let spend = SpotSpend()
        let evaluator = evaluator
        let trials = meta + "/jobs"
        let harness = directory.harness
        let tools = MetaAgentTools(harnessDirectory: harness, searchTasks: config.panels.search, failureReport: report,
                                   searchJobDirectory: searchJob, learningsPath: directory.learnings) { tasks in
            let name = "spot-\(spend.next())"
            let result = try await evaluator.evaluate(harnessDirectory: harness, tasks: tasks, trials: 1, jobsDirectory: trials, jobName: name)
            spend.add(cost: result.costUSD, tokens: result.tokens)
            return result.rewards.keys.sorted().map { task in
                "\(task): reward \(result.rewards[task]!.map { String(format: "%.2f", $0) }.joined(separator: ", "))"
            }.joined(separator: "\n") + "\nTrials in \(result.jobDirectory)"
        }
        let outcome = await metaAgent.propose(program: program, briefing: briefing, tools: tools, logger: logger)
        try? JSONFile.write(outcome.trajectory, to: meta + "/trajectory.json")
        let (cost, tokens) = spend.totals
        return ProposalOutcome(proposal: outcome.proposal, usage: outcome.usage, costUSD: outcome.costUSD, spotCost: cost,
                               spotTokens: tokens, stopReason: outcome.stopReason)
    }

    /// Guard and commit of the work tree's edit; false when the guard rejected it. The work tree
    /// is back on `main` afterwards.
    func admit(_ record: inout ExperimentRecord, proposal: Proposal, started: Date) async throws -> Bool {
        guard let parent = record.parentCommit else { throw Failure("experiment \(record.id) has no parent commit") }
        let changes = try await repository.workTreeChanges(against: parent)
        var proposal = proposal
        proposal.files = changes.map(\.path)
        try FileManager.default.createDirectory(atPath: directory.experiment(record.id), withIntermediateDirectories: true)
        try JSONFile.write(proposal, to: directory.proposal(record.id))
        record.stage = .guard
        if let reason = editGuard.check(changes, harnessDirectory: directory.harness) {
            record.diff = try await repository.workTreeDiff(against: parent)
            try Data(record.diff.utf8).write(to: URL(fileURLWithPath: directory.diff(record.id)))
            try await repository.resetWorkTree()
            try finish(&record, .rejected, stage: .guard, reason: "Rejected before evaluation: \(reason).", started: started)
            return false
        }
        let commit = try await repository.commitWorkTree(parent: parent, experiment: record.id,
                                                         message: proposal.description + "\n\nHypothesis: " + proposal.hypothesis)
        try await repository.resetWorkTree()
        record.commitID = commit
        record.diff = try await repository.diff(from: parent, to: commit)
        try Data(record.diff.utf8).write(to: URL(fileURLWithPath: directory.diff(record.id)))
        record.stage = .checks
        try ledger.update(record)
        events(.note("experiment \(record.id): \(proposal.description) [\(changes.map(\.path).joined(separator: ", "))]"))
        return true
    }

    enum CandidateVerdict: Sendable {
        /// Decided (crash or discard) and recorded.
        case decided
        /// Survived search and validation; the round decides.
        case passed(ExperimentRecord, PairedComparison, equalAndSimpler: Bool, started: Date)
        case interrupted
    }

    /// Checks, spot check, search panel, decision and validation veto of one committed candidate.
    func evaluate(_ input: ExperimentRecord, parent: ExperimentRecord, started: Date) async -> CandidateVerdict {
        var record = input
        do {
            guard let commit = record.commitID, let parentCommit = record.parentCommit else { throw Failure("no commit to evaluate") }
            let snapshot = directory.snapshot(record.id)
            try await repository.export(commit, to: snapshot)
            record.stage = .checks
            do { _ = try Harness.load(directory: snapshot) } catch {
                try finish(&record, .crash, stage: .checks, reason: "The harness does not load: \(error).", started: started)
                return .decided
            }
            record.stage = .spot
            try ledger.update(record)
            let spotTasks = spotSelection(record.id)
            guard let spot = try await stage(record.id, "spot", harness: snapshot, tasks: spotTasks, trials: 1, into: &record) else {
                return .interrupted
            }
            if spot.errored == spot.trials {
                try finish(&record, .crash, stage: .spot,
                           reason: "Every spot-check trial failed with an error (\(spotTasks.joined(separator: ", "))).", started: started)
                return .decided
            }
            record.stage = .search
            try ledger.update(record)
            guard let search = try await stage(record.id, "search", harness: snapshot, tasks: config.panels.search,
                                               trials: config.trialsPerTask, into: &record) else { return .interrupted }
            let parentSearch = try PanelEvaluation.read(jobDirectory: directory.jobs(parent.id) + "/search")
            let comparison = PairedComparison.compare(parent: parentSearch.rewards, child: search.rewards, level: 1 - config.alpha,
                                                      seed: config.seed &+ UInt64(record.id))
            let floor = try baselineNoiseFloor()
            let rule = KeepRule(alpha: config.alpha, noiseFloor: floor)
            let simpler = HarnessSize(files: try await repository.files(of: commit))
                .isSimpler(than: HarnessSize(files: try await repository.files(of: parentCommit)))
            record.avgScore = search.score
            record.passed = search.passed
            record.trials = search.trials
            record.taskScores = search.taskScores
            record.parentScore = parentSearch.score
            record.statistic = comparison.meanDelta
            record.pValue = comparison.pValue
            record.ciLow = comparison.ciLow
            record.ciHigh = comparison.ciHigh
            record.noiseFloor = floor
            record.taskDeltas = comparison.taskDeltas
            record.failureModes = analyze(search, experiment: record.id)
            try ledger.update(record)
            let verdict = rule.judgeSearch(comparison, simpler: simpler)
            if case .discard(let reason) = verdict {
                try finish(&record, .discard, stage: .search, reason: reason, started: started)
                return .decided
            }
            record.stage = .validation
            record.parentValidationScore = parent.validationScore
            try ledger.update(record)
            if !config.panels.validation.isEmpty {
                guard let validation = try await stage(record.id, "validation", harness: snapshot, tasks: config.panels.validation,
                                                       trials: config.trialsPerTask, into: &record) else { return .interrupted }
                record.validationScore = validation.score
                try ledger.update(record)
                if let veto = rule.validationVeto(child: validation.score, parent: parent.validationScore) {
                    try finish(&record, .discard, stage: .validation, reason: veto, started: started)
                    return .decided
                }
            }
            return .passed(record, comparison, equalAndSimpler: verdict == .equalAndSimpler, started: started)
        } catch {
            if Task.isCancelled { return .interrupted }
            try? finish(&record, .crash, stage: record.stage, reason: "Evaluation failed: \(error).", started: started)
            return .decided
        }
    }

    /// Keeps the best surviving candidate of a round (largest mean delta, then the earlier one),
    /// runs it on the test panel and moves `main` to it; discards the other survivors.
    func decide(round verdicts: [CandidateVerdict], parent: ExperimentRecord) async throws {
        var survivors: [(ExperimentRecord, PairedComparison, Bool, Date)] = []
        for verdict in verdicts {
            if case .passed(let record, let comparison, let equal, let started) = verdict { survivors.append((record, comparison, equal, started)) }
        }
        survivors.sort { ($0.1.meanDelta, -$0.0.id) > ($1.1.meanDelta, -$1.0.id) }
        guard let first = survivors.first else { return }
        var winner = first.0
        let (comparison, equal, started) = (first.1, first.2, first.3)
        for (var other, _, _, otherStarted) in survivors.dropFirst() {
            try finish(&other, .discard, stage: .done,
                       reason: "It passed, but experiment \(winner.id) of the same round did better on the search panel.", started: otherStarted)
        }
        if !config.panels.test.isEmpty {
            guard let test = try await stage(winner.id, "test", harness: directory.snapshot(winner.id), tasks: config.panels.test,
                                             trials: config.trialsPerTask, into: &winner) else { return }
            winner.testScore = test.score
        }
        let validation = winner.validationScore.map { String(format: "; validation %.3f against %.3f", $0, parent.validationScore ?? .nan) } ?? ""
        let reason = equal
            ? String(format: "Equal on the search panel (delta %+.3f) with a simpler harness", comparison.meanDelta) + validation + "."
            : String(format: "Significant improvement on the search panel (delta %+.3f, p = %.4f, noise floor %.3f)",
                     comparison.meanDelta, comparison.pValue, winner.noiseFloor ?? 0) + validation + "."
        try finish(&winner, .keep, stage: .done, reason: reason, started: started)
        if let commit = winner.commitID { try await repository.advanceMain(to: commit) }
    }

    // MARK: - Helpers

    /// Runs one stage's job, adding its cost to the record; nil when it was cancelled.
    func stage(_ id: Int, _ name: String, harness: String, tasks: [String], trials: Int,
               into record: inout ExperimentRecord) async throws -> PanelEvaluation? {
        events(.note("experiment \(id): \(name) — \(tasks.count) tasks × \(trials) trials"))
        let events = events
        let result = try await evaluator.evaluate(harnessDirectory: harness, tasks: tasks, trials: trials, jobsDirectory: directory.jobs(id),
                                                  jobName: name) { events(.job(experiment: id, stage: name, $0)) }
        record.costUSD += result.costUSD
        record.tokens += result.tokens
        if result.cancelled || Task.isCancelled { return nil }
        try ledger.update(record)
        return result
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

/// What the meta-agent's spot checks spent, across its tool calls.
final class SpotSpend: Sendable {
    private let state = Mutex((count: 0, cost: 0.0, tokens: 0))

    func next() -> Int {
        state.withLock { s in
            s.count += 1
            return s.count
        }
    }

    func add(cost: Double, tokens: Int) {
        state.withLock { s in
            s.cost += cost
            s.tokens += tokens
        }
    }

    var totals: (Double, Int) { state.withLock { ($0.cost, $0.tokens) } }
}
