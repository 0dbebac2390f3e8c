import Logging

/// Loads the tables for an analysis from any mix of inputs: job folders (ours or Harbor's), trial
/// folders, and folders of stored tables. A single stored-tables folder is reloaded as is.
public enum CorpusLoader {
    public struct Corpus: Sendable {
        public var tables: TraceTables
        public var problems: [String]
    }

    public static func load(paths: [String], logger: Logger, progress: (@Sendable (Int, Int) -> Void)? = nil) throws(ImportError) -> Corpus {
        let stores = paths.filter(ColumnStore.isStore)
        if stores.count == 1, paths.count == 1 {
            logger.debug("reloading stored tables from \(stores[0])")
            return Corpus(tables: try ColumnStore.load(from: stores[0]), problems: [])
        }
        var builder = TableBuilder()
        for store in stores {
            let tables = try ColumnStore.load(from: store)
            for trial in 0..<tables.trials.count { builder.append(tables.record(trial)) }
        }
        let folders = paths.filter { !stores.contains($0) }
        var problems: [String] = []
        if !folders.isEmpty {
            problems = try JobImporter.stream(paths: folders, logger: logger, progress: progress) { records in
                for record in records { builder.append(record) }
            }
        }
        let tables = builder.finish()
        if tables.trials.count == 0 { logger.warning("no trials found in \(paths.joined(separator: ", "))") }
        return Corpus(tables: tables, problems: problems)
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
