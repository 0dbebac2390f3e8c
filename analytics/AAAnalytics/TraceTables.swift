/// The trials table: one row per trial. Missing numbers are NaN (Double) or −1 (integers).
public struct TrialsTable: Sendable, Equatable {
    public var job = StringColumn()
    public var name = StringColumn()
    public var task = StringColumn()
    public var agent = StringColumn()
    public var model = StringColumn()
    public var exception = StringColumn()
    public var budgetExhausted = StringColumn()
    public var verifierOutput = StringColumn()
    public var finalMessage = StringColumn()
    public var attempt: [Int32] = []
    public var reward: [Double] = []
    public var promptTokens: [Int64] = []
    public var completionTokens: [Int64] = []
    public var costUSD: [Double] = []
    public var durationSeconds: [Double] = []
    /// The trial's first row in the steps table and its number of rows there.
    public var firstStep: [Int32] = []
    public var stepRows: [Int32] = []
    /// The highest agent step index (the trial's length in turns).
    public var stepCount: [Int32] = []

    public init() {}

    public var count: Int { reward.count }

    /// The rows of the steps table that belong to a trial.
    public func steps(of trial: Int) -> Range<Int> {
        Int(firstStep[trial])..<Int(firstStep[trial] + stepRows[trial])
    }

    public func succeeded(_ trial: Int) -> Bool { !reward[trial].isNaN && reward[trial] >= 1 }

    /// The reward a trial lost: 1 − reward (at least 0; a missing reward loses 1).
    public func rewardLost(_ trial: Int) -> Double { reward[trial].isNaN ? 1 : max(0, 1 - reward[trial]) }

    /// Equal column by column, a missing value (NaN) equal to a missing value.
    public static func == (a: TrialsTable, b: TrialsTable) -> Bool {
        a.job == b.job && a.name == b.name && a.task == b.task && a.agent == b.agent && a.model == b.model
            && a.exception == b.exception && a.budgetExhausted == b.budgetExhausted && a.verifierOutput == b.verifierOutput
            && a.finalMessage == b.finalMessage && a.attempt == b.attempt && same(a.reward, b.reward)
            && a.promptTokens == b.promptTokens && a.completionTokens == b.completionTokens && same(a.costUSD, b.costUSD)
            && same(a.durationSeconds, b.durationSeconds) && a.firstStep == b.firstStep && a.stepRows == b.stepRows
            && a.stepCount == b.stepCount
    }
}

/// Doubles equal bit for bit (so NaN, a missing value, equals NaN).
func same(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// The steps table: one row per tool call, model message or error, grouped by trial.
public struct StepsTable: Sendable, Equatable {
    public var trial: [Int32] = []
    public var index: [Int32] = []
    public var kind = StringColumn()
    public var tool = StringColumn()
    public var command = StringColumn()
    /// Template id (from 1) of the command, 0 when there is none.
    public var commandTemplate: [Int32] = []
    public var exitCode: [Int32] = []
    public var outputBytes: [Int64] = []
    public var output = StringColumn()
    public var errorLine = StringColumn()
    /// Template id (from 1) of the error line, 0 when there is none.
    public var errorTemplate: [Int32] = []
    public var category = StringColumn()
    public var tokens: [Int64] = []
    public var latencySeconds: [Double] = []
    public var timedOut: [Bool] = []

    public init() {}

    public var count: Int { trial.count }

    /// Whether the row failed: an error row, a timeout, a non-zero exit, or an error line without an exit code.
    public func failed(_ row: Int) -> Bool {
        failed(row, errorKind: kind.existingCode(TrialRecord.Step.Kind.error.rawValue) ?? -2)
    }

    /// Whether each row failed (as `failed(_:)`), computed in one pass.
    public func failedRows() -> [Bool] {
        let errorKind = kind.existingCode(TrialRecord.Step.Kind.error.rawValue) ?? -2
        return (0..<count).map { failed($0, errorKind: errorKind) }
    }

    private func failed(_ row: Int, errorKind: Int32) -> Bool {
        kind.codes[row] == errorKind || timedOut[row]
            || (exitCode[row] == Self.noExitCode ? errorTemplate[row] != 0 : exitCode[row] != 0)
    }

    /// The exit-code value that means "none recorded".
    public static let noExitCode = Int32.min

    /// Equal column by column, a missing value (NaN) equal to a missing value.
    public static func == (a: StepsTable, b: StepsTable) -> Bool {
        a.trial == b.trial && a.index == b.index && a.kind == b.kind && a.tool == b.tool && a.command == b.command
            && a.commandTemplate == b.commandTemplate && a.exitCode == b.exitCode && a.outputBytes == b.outputBytes
            && a.output == b.output && a.errorLine == b.errorLine && a.errorTemplate == b.errorTemplate
            && a.category == b.category && a.tokens == b.tokens && same(a.latencySeconds, b.latencySeconds) && a.timedOut == b.timedOut
    }
}

/// Trials and steps tables with the command and error templates their ids refer to.
public struct TraceTables: Sendable, Equatable {
    public var trials = TrialsTable()
    public var steps = StepsTable()
    /// Template text by id − 1.
    public var commandTemplates: [String] = []
    public var errorTemplates: [String] = []

    public init() {}

    public func commandTemplate(_ id: Int32) -> String? {
        id > 0 && Int(id) <= commandTemplates.count ? commandTemplates[Int(id) - 1] : nil
    }

    public func errorTemplate(_ id: Int32) -> String? {
        id > 0 && Int(id) <= errorTemplates.count ? errorTemplates[Int(id) - 1] : nil
    }
}

/// Builds the tables in one pass over trial records, mining command and error templates as it goes.
public struct TableBuilder: Sendable {
    private var tables = TraceTables()
    private var commandMiner = TemplateMiner()
    private var errorMiner = TemplateMiner()
    /// Template ids of lines already mined: an identical line joins the same template.
    private var commandIds: [String: Int32] = [:]
    private var errorIds: [String: Int32] = [:]
    /// The same by code in the command and error-line columns (0: not looked up yet), so that a
    /// value seen before costs no second hash.
    private var commandIdByCode: [Int32] = []
    private var errorIdByCode: [Int32] = []

    public init() {}

    public mutating func append(_ record: TrialRecord) {
        let trialRow = Int32(tables.trials.count)
        var t = TrialsTable()
        swap(&t, &tables.trials)
        t.job.append(record.job)
        t.name.append(record.name)
        t.task.append(record.task)
        t.agent.append(record.agent)
        t.model.append(record.model)
        t.exception.append(record.exception)
        t.budgetExhausted.append(record.budgetExhausted)
        t.verifierOutput.append(record.verifierOutput)
        t.finalMessage.append(record.finalMessage)
        t.attempt.append(Int32(record.attempt ?? -1))
        t.reward.append(record.reward ?? .nan)
        t.promptTokens.append(Int64(record.promptTokens ?? -1))
        t.completionTokens.append(Int64(record.completionTokens ?? -1))
        t.costUSD.append(record.costUSD ?? .nan)
        t.durationSeconds.append(record.durationSeconds ?? .nan)
        t.firstStep.append(Int32(tables.steps.count))
        t.stepRows.append(Int32(record.steps.count))
        // Steps are read in place (a copy of each would retain and release its strings).
        let steps = record.steps
        var highest = steps.isEmpty ? 0 : Int.min
        for k in steps.indices { highest = max(highest, steps[k].index) }
        t.stepCount.append(Int32(highest))
        swap(&t, &tables.trials)

        var s = StepsTable()
        swap(&s, &tables.steps)
        for k in steps.indices {
            s.trial.append(trialRow)
            s.index.append(Int32(steps[k].index))
            s.kind.append(steps[k].kind.rawValue)
            s.tool.append(steps[k].tool)
            let command = s.command.append(steps[k].command)
            var commandTemplate = Self.cached(command, commandIdByCode)
            if command >= 0, commandTemplate == 0 {
                commandTemplate = Self.mine(firstLine(steps[k].command!), &commandMiner, &commandIds)
                Self.remember(commandTemplate, code: command, in: &commandIdByCode)
            }
            s.commandTemplate.append(commandTemplate)
            s.exitCode.append(steps[k].exitCode.map { Int32(clamping: $0) } ?? StepsTable.noExitCode)
            s.outputBytes.append(Int64(steps[k].outputBytes ?? -1))
            s.output.append(steps[k].output)
            let errorLine = s.errorLine.append(steps[k].errorLine)
            var errorTemplate = Self.cached(errorLine, errorIdByCode)
            if errorLine >= 0, errorTemplate == 0 {
                errorTemplate = Self.mine(steps[k].errorLine!, &errorMiner, &errorIds)
                Self.remember(errorTemplate, code: errorLine, in: &errorIdByCode)
            }
            s.errorTemplate.append(errorTemplate)
            s.category.append(steps[k].category)
            s.tokens.append(Int64(steps[k].tokens ?? -1))
            s.latencySeconds.append(steps[k].latencySeconds ?? .nan)
            s.timedOut.append(steps[k].timedOut)
        }
        swap(&s, &tables.steps)
    }

    /// The finished tables, with every template in its final form, and trials the source gave no
    /// attempt numbered 1, 2, … per job and task in name order.
    public func finish() -> TraceTables {
        var result = tables
        var unnumbered: [Int: [Int]] = [:]
        var taken: [Int: Set<Int32>] = [:]
        let t = result.trials
        for trial in 0..<t.count {
            let key = Int(t.job.codes[trial]) << 32 | Int(t.task.codes[trial])
            if t.attempt[trial] < 0 { unnumbered[key, default: []].append(trial) } else { taken[key, default: []].insert(t.attempt[trial]) }
        }
        for (key, trials) in unnumbered {
            let taken = taken[key] ?? []
            var n: Int32 = 1
            for trial in trials.sorted(by: { (t.name[$0] ?? "") < (t.name[$1] ?? "") }) {
                while taken.contains(n) { n += 1 }
                result.trials.attempt[trial] = n
                n += 1
            }
        }
        result.commandTemplates = (0..<commandMiner.count).map { commandMiner.template($0 + 1) }
        result.errorTemplates = (0..<errorMiner.count).map { errorMiner.template($0 + 1) }
        return result
    }

    /// The template id cached for a column code (0 when there is none, or no value).
    private static func cached(_ code: Int32, _ byCode: [Int32]) -> Int32 {
        code >= 0 && Int(code) < byCode.count ? byCode[Int(code)] : 0
    }

    private static func remember(_ id: Int32, code: Int32, in byCode: inout [Int32]) {
        let i = Int(code)
        if i >= byCode.count { byCode.append(contentsOf: repeatElement(0, count: i + 1 - byCode.count)) }
        byCode[i] = id
    }

    private static func mine(_ line: String, _ miner: inout TemplateMiner, _ ids: inout [String: Int32]) -> Int32 {
        if let id = ids[line] { return id }
        let id = Int32(miner.add(line))
        ids[line] = id
        return id
    }

    /// Commands are templated by their first line (a heredoc body would make every command unique).
    private func firstLine(_ command: String) -> String {
        guard let newline = command.utf8.firstIndex(of: 0x0a) else { return command }
        let first = String(command[..<newline])
        return first.isEmpty ? command : first
    }

    /// Builds tables from records in one pass.
    public static func build(_ records: [TrialRecord]) -> TraceTables {
        var builder = TableBuilder()
        for record in records { builder.append(record) }
        return builder.finish()
    }
}
