import Foundation

/// The baseline: the starting harness on every panel, its search panel twice for the noise floor.
extension OptimizeLoop {
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
        record.take(search, comparison: aa)
        record.noiseFloor = floor
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
}
