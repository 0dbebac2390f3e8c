import Logging

/// Loads the tables for an analysis from any mix of inputs: job folders (ours or Harbor's), trial
/// folders, and folders of stored tables. A single stored-tables folder is reloaded as is.
public enum CorpusLoader {
    public struct Corpus: Sendable {
        public var tables: TraceTables
        public var problems: [String]
        /// The trials (rows of the trials table) of each input group, in the order given.
        public var groups: [Range<Int>]
    }

    public static func load(paths: [String], logger: Logger, progress: (@Sendable (Int, Int) -> Void)? = nil) throws(ImportError) -> Corpus {
        try load(groups: [paths], logger: logger, progress: progress)
    }

    /// Loads groups of inputs into one set of tables (one template vocabulary), each group's trials
    /// contiguous, so analyses of the groups can be compared cluster by cluster.
    public static func load(groups: [[String]], logger: Logger, progress: (@Sendable (Int, Int) -> Void)? = nil) throws(ImportError) -> Corpus {
        if groups.count == 1, groups[0].count == 1, ColumnStore.isStore(groups[0][0]) {
            logger.debug("reloading stored tables from \(groups[0][0])")
            let tables = try ColumnStore.load(from: groups[0][0])
            return Corpus(tables: tables, problems: [], groups: [0..<tables.trials.count])
        }
        var builder = TableBuilder()
        var problems: [String] = []
        var ranges: [Range<Int>] = []
        var count = 0
        for paths in groups {
            let start = count
            for store in paths.filter(ColumnStore.isStore) {
                let tables = try ColumnStore.load(from: store)
                for trial in 0..<tables.trials.count { builder.append(tables.record(trial)) }
                count += tables.trials.count
            }
            let folders = paths.filter { !ColumnStore.isStore($0) }
            if !folders.isEmpty {
                problems += try JobImporter.stream(paths: folders, logger: logger, progress: progress) { records in
                    for record in records { builder.append(record) }
                    count += records.count
                }
            }
            if count == start { logger.warning("no trials found in \(paths.joined(separator: ", "))") }
            ranges.append(start..<count)
        }
        return Corpus(tables: builder.finish(), problems: problems, groups: ranges)
    }
}

extension TraceTables {
    /// A trial back as a record (to merge stored tables with other inputs).
    public func record(_ trial: Int) -> TrialRecord {
        let t = trials
        var r = TrialRecord(job: t.job[trial] ?? "", name: t.name[trial] ?? "", task: t.task[trial] ?? "", source: "stored tables")
        r.attempt = t.attempt[trial] < 0 ? nil : Int(t.attempt[trial])
        r.agent = t.agent[trial]
        r.model = t.model[trial]
        r.reward = t.reward[trial].isNaN ? nil : t.reward[trial]
        r.exception = t.exception[trial]
        r.budgetExhausted = t.budgetExhausted[trial]
        r.verifierOutput = t.verifierOutput[trial]
        r.finalMessage = t.finalMessage[trial]
        r.promptTokens = t.promptTokens[trial] < 0 ? nil : Int(t.promptTokens[trial])
        r.completionTokens = t.completionTokens[trial] < 0 ? nil : Int(t.completionTokens[trial])
        r.costUSD = t.costUSD[trial].isNaN ? nil : t.costUSD[trial]
        r.durationSeconds = t.durationSeconds[trial].isNaN ? nil : t.durationSeconds[trial]
        let s = steps
        r.steps = t.steps(of: trial).map { row in
            var step = TrialRecord.Step(index: Int(s.index[row]), kind: TrialRecord.Step.Kind(rawValue: s.kind[row] ?? "") ?? .message)
            step.tool = s.tool[row]
            step.command = s.command[row]
            step.exitCode = s.exitCode[row] == StepsTable.noExitCode ? nil : Int(s.exitCode[row])
            step.outputBytes = s.outputBytes[row] < 0 ? nil : Int(s.outputBytes[row])
            step.output = s.output[row]
            step.errorLine = s.errorLine[row]
            step.category = s.category[row]
            step.tokens = s.tokens[row] < 0 ? nil : Int(s.tokens[row])
            step.latencySeconds = s.latencySeconds[row].isNaN ? nil : s.latencySeconds[row]
            step.timedOut = s.timedOut[row]
            return step
        }
        return r
    }
}
