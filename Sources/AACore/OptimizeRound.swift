import Foundation
import Synchronization

/// A round: proposals from the meta-agent, each guarded and committed, then evaluated concurrently.
extension OptimizeLoop {
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
                record.description = "(no proposal)"
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
        } hasEdits: { [repository] in
            guard let commit = parent.commitID, let changes = try? await repository.workTreeChanges(against: commit) else { return true }
            return !changes.isEmpty
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
