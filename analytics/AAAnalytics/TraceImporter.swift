import Foundation

/// Turns the events of one of our trace files into a trial record.
public enum TraceImporter {
    /// Largest command or output excerpt kept per row (reports show less; the trace has more).
    public static let excerptLimit = 600

    /// Reads a trace file; a torn tail or corrupt frames are kept as problems of the record. A
    /// reader of many files passes one decompressor for all of them.
    public static func read(path: String, job: String, fallbackName: String, decompressor: ZstdDecompressor? = nil) throws(TraceError) -> TrialRecord {
        var fold = Fold(record: TrialRecord(job: job, name: fallbackName, task: fallbackName, source: path))
        let damage = try TraceReader.read(path: path, decompressor: decompressor) { fold.add($0) }
        var record = fold.finish()
        if damage.tornTail { record.problems.append("\(path): torn tail skipped (the trial was interrupted while writing)") }
        record.problems.append(contentsOf: damage.corruptions.map(\.description))
        return record
    }

    /// Folds events, in order, into a record's fields and steps.
    struct Fold {
        private var record: TrialRecord
        private var promptTokens = 0, completionTokens = 0, cost = 0.0
        private var sawTokens = false, sawCost = false

        init(record: TrialRecord) { self.record = record }

        /// The record with its token and cost totals.
        consuming func finish() -> TrialRecord {
            if sawTokens {
                record.promptTokens = promptTokens
                record.completionTokens = completionTokens
            }
            if sawCost { record.costUSD = cost }
            return record
        }

        mutating func add(_ event: TraceEvent) {
            let stepIndex = event.step ?? (record.steps.last?.index ?? 0)
            switch event.kind {
            case .trialStart:
                if let task = event.task { record.task = task }
                if let trial = event.trial { record.name = trial }
                record.agent = event.agent ?? record.agent
                record.model = event.model ?? record.model
                record.attempt = event.attempt ?? record.attempt
            case .trialEnd:
                record.exception = event.exception ?? record.exception
                record.exceptionMessage = event.message ?? record.exceptionMessage
                record.durationSeconds = event.durationSeconds ?? record.durationSeconds
            case .modelRequest:
                break
            case .modelResponse:
                if event.promptTokens != nil || event.completionTokens != nil { sawTokens = true }
                promptTokens += event.promptTokens ?? 0
                completionTokens += event.completionTokens ?? 0
                if let c = event.costUSD { cost += c; sawCost = true }
                var row = TrialRecord.Step(index: stepIndex, kind: .message)
                row.tokens = (event.promptTokens ?? 0) + (event.completionTokens ?? 0)
                row.latencySeconds = event.latencySeconds
                if let text = event.text {
                    row.output = TextExcerpt.bounded(text, limit: excerptLimit)
                    record.finalMessage = TextExcerpt.bounded(text, limit: 600)
                }
                if event.finishReason == "length" || event.finishReason == "context_length_exceeded" {
                    row.category = "finish_\(event.finishReason ?? "")"
                }
                record.steps.append(row)
            case .toolCall:
                var row: TrialRecord.Step
                if let last = record.steps.last, last.kind == .message, last.index == stepIndex {
                    row = record.steps.removeLast()
                    row.kind = .toolCall
                } else {
                    row = TrialRecord.Step(index: stepIndex, kind: .toolCall)
                }
                row.tool = event.tool
                row.command = event.arguments.map { TextExcerpt.bounded(ToolArguments.command(fromJSON: $0, tool: event.tool), limit: excerptLimit) }
                row.output = nil
                record.steps.append(row)
            case .observation:
                let target = record.steps.lastIndex { $0.kind == .toolCall && $0.index == stepIndex && $0.exitCode == nil && $0.outputBytes == nil }
                    ?? record.steps.lastIndex { $0.kind == .toolCall }
                guard let i = target else { return }
                record.steps[i].exitCode = event.exitCode
                if event.stdoutBytes != nil || event.stderrBytes != nil {
                    record.steps[i].outputBytes = (event.stdoutBytes ?? 0) + (event.stderrBytes ?? 0)
                }
                record.steps[i].timedOut = event.timedOut ?? false
                if let excerpt = event.excerpt {
                    record.steps[i].output = TextExcerpt.bounded(excerpt, limit: excerptLimit)
                    // A call that exited 0 (and did not time out) reported no error, whatever its output says.
                    if event.exitCode != 0 || event.timedOut == true {
                        record.steps[i].errorLine = TextExcerpt.errorLine(excerpt) ?? (event.exitCode != nil ? TextExcerpt.lastLine(excerpt) : nil)
                    }
                }
            case .error:
                var row = TrialRecord.Step(index: stepIndex, kind: .error)
                row.tool = event.tool
                row.category = event.category
                row.output = event.message.map { TextExcerpt.bounded($0, limit: excerptLimit) }
                row.errorLine = event.message.map { TextExcerpt.bounded($0, limit: 300) } ?? event.category
                record.steps.append(row)
            case .budget:
                if let limit = event.limit, let used = event.used, used >= limit {
                    record.budgetExhausted = event.category ?? "budget"
                }
            case .reward:
                record.reward = event.reward ?? record.reward
            }
        }
    }
}
