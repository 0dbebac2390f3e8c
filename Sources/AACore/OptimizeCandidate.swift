import Foundation

/// One candidate's staged evaluation and the round's keep decision.
extension OptimizeLoop {
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
            if spot.agentErrors == spot.trials {
                try finish(&record, .crash, stage: .spot,
                           reason: "Every spot-check trial ended in an agent error (\(spotTasks.joined(separator: ", "))).", started: started)
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
            record.take(search, comparison: comparison)
            record.parentScore = parentSearch.score
            record.pValue = comparison.pValue
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
}
