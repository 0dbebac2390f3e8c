import AASandbox
import Foundation
import Logging

/// What a job run reports while it works.
public enum JobEvent: Sendable {
    /// The job starts (or resumes): how many trials in all, how many are already done.
    case started(jobDirectory: String, total: Int, alreadyDone: Int, alreadyPassed: Int, resumed: Bool)
    case trialStarted(task: String, trialName: String)
    case trialFinished(TrialResultRecord, done: Int, total: Int)
    case retrying(task: String, failure: String)
}

/// How a job run ended.
public struct JobOutcome: Sendable {
    public var result: JobResultRecord
    public var jobDirectory: String
    /// Stopped by Ctrl-C (or task cancellation); the ledger lets the same command resume it.
    public var cancelled: Bool
}

/// A job could not start: the job folder clashes or the ledger disagrees with the command.
public struct JobError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs a job's trials (tasks × attempts) with bounded concurrency, retries and resume, writing
/// Harbor's job folder and keeping the ledger exact across crashes.
public struct JobRunner: Sendable {
    public let trialRunner: TrialRunner
    public let logger: Logger

    public init(trialRunner: TrialRunner, logger: Logger) {
        self.trialRunner = trialRunner
        self.logger = logger
    }

    /// The ledger file of a jobs directory.
    public static func ledgerPath(jobsDirectory: String) -> String { jobsDirectory + "/.aa-ledger.sqlite" }

    public func run(_ spec: JobSpec, events: @escaping @Sendable (JobEvent) -> Void = { _ in }) async throws -> JobOutcome {
        let jobsDir = URL(fileURLWithPath: spec.jobsDirectory).standardizedFileURL.path
        let jobDir = jobsDir + "/" + spec.jobName
        let stage = URL(fileURLWithPath: trialRunner.runtime.configuration.stageDirectory).standardizedFileURL.path
        let cache = URL(fileURLWithPath: trialRunner.builder.cacheDirectory).standardizedFileURL.path
        for (what, path, flag) in [("jobs directory", jobsDir, "-o"), ("layer cache", cache, "--cache-dir")]
        where path == stage || path.hasPrefix(stage + "/") {
            throw JobError("the \(what) \(path) is under \(stage), which sandboxes cannot mount from; choose another \(flag)")
        }
        try FileManager.default.createDirectory(atPath: jobsDir, withIntermediateDirectories: true)
        let lock = try JobLock(path: jobsDir + "/.aa-\(spec.jobName).lock", job: spec.jobName)
        defer { withExtendedLifetime(lock) {} }
        let ledger = try Ledger(path: Self.ledgerPath(jobsDirectory: jobsDir))
        let agent = try AgentRegistry.make(spec.agentName, options: spec.agentOptions)
        let tasksByName = Dictionary(spec.tasks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        var existing = try ledger.job(spec.jobName)
        if existing != nil, !FileManager.default.fileExists(atPath: jobDir) {
            try ledger.deleteJob(spec.jobName)
            existing = nil
        }
        let jobID: String
        let startedAt: String
        let resumed = existing != nil
        if let existing {
            let stored = try JSONDecoder().decode(JobConfigRecord.self, from: Data(existing.config.utf8))
            guard stored.agents.first?.name == spec.agentName else {
                throw JobError("job \(spec.jobName) was started with agent \(stored.agents.first?.name ?? "?"), not \(spec.agentName); use another --job-name")
            }
            guard stored.nAttempts == spec.attempts else {
                throw JobError("job \(spec.jobName) was started with \(stored.nAttempts) attempts per task, not \(spec.attempts); resume it with the same -k")
            }
            guard Set(stored.tasks) == Set(spec.tasks.map(\.name)) else {
                let missing = Set(stored.tasks).subtracting(spec.tasks.map(\.name)).sorted()
                let added = Set(spec.tasks.map(\.name)).subtracting(stored.tasks).sorted()
                throw JobError("job \(spec.jobName) was started with other tasks (missing now: \(missing), new: \(added)); resume it with the same -p and filters")
            }
            jobID = existing.jobID
            startedAt = existing.startedAt
        } else {
            if FileManager.default.fileExists(atPath: jobDir) {
                throw JobError("\(jobDir) exists but is not a job this ledger knows; choose another --job-name")
            }
            try FileManager.default.createDirectory(atPath: jobDir, withIntermediateDirectories: true)
            jobID = UUID().uuidString.lowercased()
            startedAt = ISOTime.string(Date())
            let config = spec.configRecord
            try JSONFile.write(config, to: jobDir + "/config.json")
            let encoded = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
            var slots: [(String, Int)] = []
            for task in spec.tasks { for attempt in 0..<spec.attempts { slots.append((task.name, attempt)) } }
            try ledger.createJob(name: spec.jobName, id: jobID, directory: jobDir, config: encoded, slots: slots)
        }
        let log = TrialLog(path: jobDir + "/job.log")
        defer { log.close() }
        log.write(resumed ? "resuming job \(spec.jobName)" : "job \(spec.jobName) starts: \(spec.tasks.count) tasks × \(spec.attempts) attempts, agent \(spec.agentName)")

        // Array tasks an earlier controller submitted to Slurm that are still queued or running are
        // adopted: followed, not run again.
        var adopted: [SlurmExecutor.InFlight] = []
        if resumed {
            if case .slurm = spec.executor {
                adopted = try SlurmExecutor.adoptable(jobID: jobID, jobDirectory: jobDir, slots: try ledger.slots(job: spec.jobName),
                                                      commands: SlurmCommands())
            } else {
                try SlurmExecutor.refuseLocalResume(job: spec.jobName, jobID: jobID, jobDirectory: jobDir, commands: SlurmCommands())
            }
        }
        let adoptedNames = Set(adopted.map(\.trialName))
        // A slot a crash left running either finished (its result.json, written atomically and last, is
        // there and needs no retry): keep it; or it has a partial folder: remove it and run it again.
        for slot in try ledger.slots(job: spec.jobName) where slot.status == .running && !adoptedNames.contains(slot.trialName ?? "") {
            if let name = slot.trialName,
               let record = try? JSONFile.read(TrialResultRecord.self, from: jobDir + "/" + name + "/result.json"),
               record.exceptionInfo.map({ !spec.shouldRetry(TrialFailure.Kind(rawValue: $0.exceptionType)) }) ?? true {
                try ledger.finish(job: spec.jobName, task: slot.task, attempt: slot.attempt, record: record)
                log.write("trial \(name) of \(slot.task) had finished before the interruption; kept")
                continue
            }
            if let name = slot.trialName { try? FileTree.remove(jobDir + "/" + name) }
            try ledger.reset(job: spec.jobName, task: slot.task, attempt: slot.attempt)
            log.write("trial \(slot.trialName ?? "?") of \(slot.task) was interrupted; it runs again")
        }
        if adopted.isEmpty { try? FileTree.remove(jobDir + "/.aa-stage") }
        let slots = try ledger.slots(job: spec.jobName)
        let pending = slots.filter { $0.status == .pending }
        let total = slots.count

        var checksums: [String: String] = [:]
        for task in spec.tasks where pending.contains(where: { $0.task == task.name }) { checksums[task.name] = TaskChecksum.of(task.directory) }
        let context = SlotContext(spec: spec, jobID: jobID, jobDir: jobDir, ledger: ledger, agent: agent, log: log, checksums: checksums)
        var results = JobResults(context: context, startedAt: startedAt)
        var done = total - pending.count
        events(.started(jobDirectory: jobDir, total: total, alreadyDone: done,
                        alreadyPassed: results.records.values.filter { $0.reward >= 1 }.count, resumed: resumed))
        switch spec.executor {
        case .local:
            await runLocally(pending, tasks: tasksByName, context: context, results: &results, done: &done, total: total, events: events)
        case .slurm(let settings):
            await SlurmExecutor(settings: settings, logger: logger)
                .run(pending: pending, adopted: adopted, tasks: tasksByName, context: context, results: &results,
                     done: &done, total: total, events: events)
        }
        try? FileTree.remove(jobDir + "/.aa-stage")
        let remaining = try ledger.slots(job: spec.jobName).contains { $0.status != .done }
        let cancelled = Task.isCancelled || remaining
        if !cancelled { try ledger.finishJob(spec.jobName) }
        let result = try results.write(finished: !cancelled)
        log.write(cancelled ? "stopped; run the same command again to resume" : "job finished")
        return JobOutcome(result: result, jobDirectory: jobDir, cancelled: cancelled)
    }

    /// The local scheduler: at most `-n` slots run at once in this process.
    private func runLocally(_ pending: [Ledger.Slot], tasks tasksByName: [String: TaskDefinition], context: SlotContext,
                            results: inout JobResults, done: inout Int, total: Int, events: @escaping @Sendable (JobEvent) -> Void) async {
        let spec = context.spec
        await withTaskGroup(of: TrialResultRecord?.self) { group in
            var queue = pending[...]
            var running = 0
            while !queue.isEmpty || running > 0 {
                while running < max(1, spec.concurrency), !Task.isCancelled, let slot = queue.popFirst() {
                    guard let task = tasksByName[slot.task] else { continue }
                    running += 1
                    group.addTask { await self.runSlot(slot, task: task, context: context, events: events) }
                }
                guard let finished = await group.next() else { break }
                running -= 1
                if let record = finished {
                    done += 1
                    events(.trialFinished(record, done: done, total: total))
                    results.add(record)
                    results.writeIfDue()
                }
            }
        }
    }

    struct SlotContext: Sendable {
        var spec: JobSpec
        var jobID: String
        var jobDir: String
        var ledger: Ledger
        var agent: any TrialAgent
        var log: TrialLog
        var checksums: [String: String]
    }

    /// Runs one slot with retries; nil when it was cancelled (its folder removed, the slot pending again).
    private func runSlot(_ slot: Ledger.Slot, task: TaskDefinition, context c: SlotContext,
                         events: @Sendable (JobEvent) -> Void) async -> TrialResultRecord? {
        var tries = 0
        while true {
            let name = Self.trialName(task)
            do {
                try c.ledger.start(job: c.spec.jobName, task: slot.task, attempt: slot.attempt, trialName: name)
            } catch {
                c.log.write("ledger: \(error)")
                return nil
            }
            events(.trialStarted(task: task.name, trialName: name))
            let placement = TrialRunner.Placement(jobID: c.jobID, jobDirectory: c.jobDir, trialName: name, attempt: slot.attempt,
                                                  taskChecksum: c.checksums[task.name] ?? "")
            let record: TrialResultRecord
            do {
                record = try await trialRunner.run(task: task, agent: c.agent, agentOptions: c.spec.agentOptions, placement: placement)
            } catch {
                if !(error is CancellationError) { c.log.write("trial \(name) could not be recorded: \(error); it stays pending") }
                try? FileTree.remove(c.jobDir + "/" + name)
                try? c.ledger.reset(job: c.spec.jobName, task: slot.task, attempt: slot.attempt)
                return nil
            }
            if let failure = record.exceptionInfo, tries < c.spec.maxRetries,
               c.spec.shouldRetry(TrialFailure.Kind(rawValue: failure.exceptionType)), !Task.isCancelled {
                tries += 1
                c.log.write("trial \(name) failed with \(failure.exceptionType); retry \(tries) of \(c.spec.maxRetries)")
                events(.retrying(task: task.name, failure: failure.exceptionType))
                try? FileTree.remove(c.jobDir + "/" + name)
                try? c.ledger.retried(job: c.spec.jobName, task: slot.task, attempt: slot.attempt)
                continue
            }
            do {
                try c.ledger.finish(job: c.spec.jobName, task: slot.task, attempt: slot.attempt, record: record)
            } catch {
                c.log.write("ledger: \(error)")
                return nil
            }
            c.log.write("trial \(name) of \(task.name): reward \(record.reward)" + (record.exceptionInfo.map { ", \($0.exceptionType)" } ?? ""))
            return record
        }
    }

    /// Harbor's trial folder name: the task name (at most 32 characters) and 7 random characters.
    static func trialName(_ task: TaskDefinition) -> String {
        var safe = String(task.directoryName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" }.prefix(32))
        while safe.hasSuffix("-") || safe.hasSuffix("_") { safe.removeLast() }
        let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        return safe + "__" + String((0..<7).map { _ in alphabet.randomElement()! })
    }

    /// `<job>/result.json`, kept from the trials' records: read once from disk for trials finished
    /// before (a resumed job), then added as trials finish; rewritten at most every few seconds.
    struct JobResults {
        let context: SlotContext
        let startedAt: String
        var records: [String: TrialResultRecord] = [:]
        var lastWrite = Date.distantPast
        static let interval: TimeInterval = 2

        init(context: SlotContext, startedAt: String) {
            self.context = context
            self.startedAt = startedAt
            for slot in (try? context.ledger.slots(job: context.spec.jobName)) ?? [] where slot.status == .done {
                guard let name = slot.trialName,
                      let record = try? JSONFile.read(TrialResultRecord.self, from: context.jobDir + "/" + name + "/result.json") else { continue }
                records[name] = record
            }
        }

        mutating func add(_ record: TrialResultRecord) { records[record.trialName] = record }

        mutating func writeIfDue() {
            guard Date().timeIntervalSince(lastWrite) >= Self.interval else { return }
            _ = try? write(finished: false)
        }

        @discardableResult
        mutating func write(finished: Bool) throws -> JobResultRecord {
            lastWrite = Date()
            let c = context
            let slots = try c.ledger.slots(job: c.spec.jobName)
            let done = Set(slots.compactMap { $0.status == .done ? $0.trialName : nil })
            let trials = records.values.filter { done.contains($0.trialName) }.sorted { $0.startedAt < $1.startedAt }
            let dataset = (c.spec.datasetPath as NSString).lastPathComponent
            let key = [c.spec.agentName, c.spec.agentOptions.model, dataset].compactMap { $0 }.joined(separator: "__")
            let stats = JobStats(
                nCompletedTrials: trials.count, nErroredTrials: trials.filter { $0.exceptionInfo != nil }.count,
                nRunningTrials: slots.filter { $0.status == .running }.count,
                nPendingTrials: slots.filter { $0.status == .pending }.count,
                nCancelledTrials: finished ? 0 : slots.filter { $0.status != .done }.count,
                nRetries: slots.map(\.retries).reduce(0, +),
                evals: trials.isEmpty ? [:] : [key: JobRunner.evalStats(trials, attempts: c.spec.attempts)])
            let now = ISOTime.string(Date())
            let result = JobResultRecord(id: c.jobID, startedAt: startedAt, updatedAt: now, finishedAt: finished ? now : nil,
                                         nTotalTrials: slots.count, stats: stats, trialResults: trials)
            try JSONFile.write(result, to: c.jobDir + "/result.json")
            return result
        }
    }

    /// Harbor's per-eval statistics: mean reward, pass@k, trials by reward and by exception.
    public static func evalStats(_ trials: [TrialResultRecord], attempts: Int) -> EvalStats {
        var rewardStats: [String: [String: [String]]] = [:]
        var exceptionStats: [String: [String]] = [:]
        for t in trials {
            for (key, value) in t.verifierResult?.rewards ?? [:] {
                rewardStats[key, default: [:]][String(value), default: []].append(t.trialName)
            }
            if let e = t.exceptionInfo { exceptionStats[e.exceptionType, default: []].append(t.trialName) }
        }
        let mean = trials.isEmpty ? 0 : trials.map(\.reward).reduce(0, +) / Double(trials.count)
        var passAtK: [String: Double] = [:]
        let byTask = Dictionary(grouping: trials, by: \.taskName)
        var k = 1
        while k <= max(1, attempts) {
            let values = byTask.values.compactMap { group -> Double? in
                let n = group.count
                guard n >= k else { return nil }
                let c = group.filter { $0.reward >= 1 }.count
                return 1 - binomialRatio(n - c, n, k)
            }
            if !values.isEmpty { passAtK[String(k)] = values.reduce(0, +) / Double(values.count) }
            k *= 2
        }
        return EvalStats(nTrials: trials.count, nErrors: trials.filter { $0.exceptionInfo != nil }.count,
                         metrics: [["mean": mean]], passAtK: passAtK, rewardStats: rewardStats, exceptionStats: exceptionStats)
    }

    /// C(a, k) / C(n, k): the chance that k of n samples all come from the a failures.
    static func binomialRatio(_ a: Int, _ n: Int, _ k: Int) -> Double {
        guard a >= k else { return 0 }
        var r = 1.0
        for i in 0..<k { r *= Double(a - i) / Double(n - i) }
        return r
    }
}
