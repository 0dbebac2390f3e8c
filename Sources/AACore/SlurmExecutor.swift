import Foundation
import Logging

/// The controller of `--executor slurm`: submits a job's pending slots as Slurm job arrays (one array
/// task per trial or per batch of trials, one array per distinct resource request), follows them through
/// `squeue` and the trial folders, and keeps the ledger exactly as the local scheduler does. An array task that ends
/// without a result goes back to pending and is submitted again under a new trial name; a retryable
/// failure is resubmitted the same way; cancellation runs `scancel` and waits for the tasks to end.
struct SlurmExecutor {
    let settings: SlurmSettings
    let commands = SlurmCommands()
    let logger: Logger

    /// A slot of the job: its task and attempt.
    typealias SlotRef = (task: String, attempt: Int)

    /// A slot whose array task is queued or running.
    struct InFlight: Sendable {
        var task: String
        var attempt: Int
        var trialName: String
        var submission: Int
        var index: Int
        var arrayJobID: String
        var announced = false
        var missingSince: Date?
    }

    /// The running slots of a job whose array tasks, submitted by an earlier controller, Slurm still
    /// has queued or running: they are followed, not run again.
    static func adoptable(jobID: String, jobDirectory: String, slots: [Ledger.Slot], commands: SlurmCommands) throws -> [InFlight] {
        let running = Dictionary(slots.compactMap { s in s.status == .running ? s.trialName.map { ($0, s) } : nil },
                                 uniquingKeysWith: { a, _ in a })
        guard !running.isEmpty else { return [] }
        let submissions = SlurmSubmission.existing(jobDirectory: jobDirectory)
        let prefix = SlurmSubmission.namePrefix(jobID: jobID)
        var adopted: [String: InFlight] = [:]
        for queued in try commands.queue(namePrefix: prefix) {
            guard let number = Int(queued.name.dropFirst(prefix.count)), let plan = submissions[number] else { continue }
            for entry in plan.entries[plan.entryIndices(ofArrayIndex: queued.index)] {
                guard let slot = running[entry.trialName], slot.task == entry.taskName, slot.attempt == entry.attempt else { continue }
                adopted[entry.trialName] = InFlight(task: slot.task, attempt: slot.attempt, trialName: entry.trialName,
                                                    submission: number, index: queued.index, arrayJobID: queued.arrayJobID)
            }
        }
        return Array(adopted.values)
    }

    /// Throws when a job submitted to Slurm still has array tasks queued or running: resuming it with the
    /// local scheduler would run their trials a second time.
    static func refuseLocalResume(job: String, jobID: String, jobDirectory: String, commands: SlurmCommands) throws {
        guard FileManager.default.fileExists(atPath: SlurmSubmission.directory(jobDirectory: jobDirectory)),
              let live = try? commands.queue(namePrefix: SlurmSubmission.namePrefix(jobID: jobID)), !live.isEmpty else { return }
        throw JobError("job \(job) has \(live.count) Slurm array tasks still queued or running; resume it with --executor slurm, or scancel them first")
    }

    /// Runs `pending` (and follows `adopted`) until every slot is done, the job is cancelled, or a slot
    /// was lost more often than `maxResubmissions` (it then stays pending for a later resume).
    func run(pending: [Ledger.Slot], adopted: [InFlight], tasks: [String: TaskDefinition], context c: JobRunner.SlotContext,
             results: inout JobRunner.JobResults, done: inout Int, total: Int, events: @Sendable (JobEvent) -> Void) async {
        var queue = pending.map { (task: $0.task, attempt: $0.attempt) }
        var flying = Dictionary(adopted.map { ($0.trialName, $0) }, uniquingKeysWith: { a, _ in a })
        for f in adopted { c.log.write("adopted Slurm array task \(f.arrayJobID)_\(f.index) running trial \(f.trialName)") }
        var retries: [String: Int] = [:]
        var lost: [String: Int] = [:]
        var nextNumber = (SlurmSubmission.existing(jobDirectory: c.jobDir).keys.max() ?? 0) + 1
        let prefix = SlurmSubmission.namePrefix(jobID: c.jobID)
        var checksums = c.checksums

        while !Task.isCancelled {
            if !queue.isEmpty {
                for f in submit(queue, tasks: tasks, context: c, nextNumber: &nextNumber, checksums: &checksums) { flying[f.trialName] = f }
                queue = []
            }
            if flying.isEmpty { break }
            do { try await Task.sleep(for: .seconds(settings.pollInterval)) } catch { break }

            let live: [String: SlurmCommands.QueuedTask]
            do {
                live = Dictionary(try commands.queue(namePrefix: prefix).map { ("\($0.name)#\($0.index)", $0) },
                                  uniquingKeysWith: { a, _ in a })
            } catch {
                c.log.write("squeue: \(error); looking again")
                continue
            }
            for var f in flying.values.sorted(by: { $0.trialName < $1.trialName }) {
                let dir = c.jobDir + "/" + f.trialName
                let queued = live["\(SlurmSubmission.jobName(jobID: c.jobID, number: f.submission))#\(f.index)"]
                // A task still waiting for a node has no result yet: no look at the shared filesystem.
                if queued?.state == "PENDING" {
                    f.missingSince = nil
                    flying[f.trialName] = f
                    continue
                }
                if let record = try? JSONFile.read(TrialResultRecord.self, from: dir + "/result.json") {
                    flying[f.trialName] = nil
                    if !f.announced { events(.trialStarted(task: f.task, trialName: f.trialName)) }
                    let key = "\(f.task)#\(f.attempt)"
                    if let failure = record.exceptionInfo, retries[key, default: 0] < c.spec.maxRetries,
                       c.spec.shouldRetry(TrialFailure.Kind(rawValue: failure.exceptionType)) {
                        retries[key, default: 0] += 1
                        c.log.write("trial \(f.trialName) failed with \(failure.exceptionType); retry \(retries[key] ?? 0) of \(c.spec.maxRetries)")
                        events(.retrying(task: f.task, failure: failure.exceptionType))
                        requeue(f, context: c, queue: &queue)
                        continue
                    }
                    do {
                        try c.ledger.finish(job: c.spec.jobName, task: f.task, attempt: f.attempt, record: record)
                    } catch {
                        c.log.write("ledger: \(error)")
                        continue
                    }
                    c.log.write("trial \(f.trialName) of \(f.task): reward \(record.reward)" + (record.exceptionInfo.map { ", \($0.exceptionType)" } ?? ""))
                    done += 1
                    events(.trialFinished(record, done: done, total: total))
                    results.add(record)
                    results.writeIfDue()
                    continue
                }
                if let queued {
                    f.missingSince = nil
                    if queued.state == "RUNNING", !f.announced, FileManager.default.fileExists(atPath: dir) {
                        f.announced = true
                        events(.trialStarted(task: f.task, trialName: f.trialName))
                    }
                    flying[f.trialName] = f
                    continue
                }
                // Gone from the queue without a result: lost at once in a failure state; otherwise the
                // result may still be on its way through the shared filesystem.
                let state = commands.endState(arrayJobID: f.arrayJobID, index: f.index)
                let failed = state.map { SlurmCommands.lostStates.contains($0) } ?? false
                let since = f.missingSince ?? Date()
                f.missingSince = since
                flying[f.trialName] = f
                guard failed || Date().timeIntervalSince(since) >= settings.resultGrace else { continue }
                flying[f.trialName] = nil
                let key = "\(f.task)#\(f.attempt)"
                lost[key, default: 0] += 1
                let what = "array task \(f.arrayJobID)_\(f.index) (trial \(f.trialName)) ended without a result (\(state ?? "state unknown"); "
                    + "its output: .aa-slurm/submit-\(f.submission)/\(f.index).out)"
                if f.announced { events(.retrying(task: f.task, failure: "Slurm \(state ?? "task lost")")) }
                if lost[key, default: 0] > settings.maxResubmissions {
                    c.log.write("\(what); lost \(lost[key] ?? 0) times, more than \(settings.maxResubmissions): it stays pending")
                    logger.error("aa: \(what); it stays pending (lost \(lost[key] ?? 0) times)")
                    try? FileTree.remove(dir)
                    try? c.ledger.reset(job: c.spec.jobName, task: f.task, attempt: f.attempt)
                    continue
                }
                c.log.write("\(what); submitted again")
                requeue(f, context: c, queue: &queue)
            }
        }
        if Task.isCancelled { await cancel(Array(flying.values), context: c, results: &results, done: &done, total: total, events: events) }
        removeAbandonedFolders(context: c)
    }

    /// Removes trial folders the job's submissions named but the ledger no longer does: a lost array task
    /// whose process went on (a node cut off rather than dead) may have recreated its folder after the
    /// controller removed it; it is not a trial of the job.
    private func removeAbandonedFolders(context c: JobRunner.SlotContext) {
        guard let slots = try? c.ledger.slots(job: c.spec.jobName) else { return }
        let current = Set(slots.compactMap(\.trialName))
        for plan in SlurmSubmission.existing(jobDirectory: c.jobDir).values {
            for entry in plan.entries where !current.contains(entry.trialName) {
                let dir = c.jobDir + "/" + entry.trialName
                guard FileManager.default.fileExists(atPath: dir) else { continue }
                try? FileTree.remove(dir)
                c.log.write("removed \(entry.trialName), the folder of a trial that was submitted again")
            }
        }
    }

    /// Submits queued slots, one array per resource group, after marking them running under new trial
    /// names; a submission Slurm refuses leaves its slots pending. Returns what is now in flight.
    private func submit(_ queue: [SlotRef], tasks: [String: TaskDefinition], context c: JobRunner.SlotContext,
                        nextNumber: inout Int, checksums: inout [String: String]) -> [InFlight] {
        var submitted: [InFlight] = []
        for group in groups(queue, tasks: tasks, trial: c.spec.settings) {
            var entries: [SlurmSubmission.Entry] = []
            for slot in group.slots {
                guard let task = tasks[slot.task] else { continue }
                let name = JobRunner.trialName(task)
                let checksum = checksums[task.name] ?? TaskChecksum.of(task.directory)
                checksums[task.name] = checksum
                do { try c.ledger.start(job: c.spec.jobName, task: slot.task, attempt: slot.attempt, trialName: name) } catch {
                    c.log.write("ledger: \(error)")
                    continue
                }
                entries.append(.init(taskDirectory: task.directory, taskName: task.name, attempt: slot.attempt,
                                     trialName: name, taskChecksum: checksum))
            }
            guard !entries.isEmpty else { continue }
            let plan = SlurmSubmission(
                number: nextNumber, jobID: c.jobID, jobDirectory: c.jobDir, agentName: c.spec.agentName,
                agentOptions: c.spec.agentOptions, settings: c.spec.settings, imageMap: settings.imageMap,
                cacheDirectory: settings.cacheDirectory, forceBuild: settings.forceBuild,
                cpus: group.cpus, memoryMB: group.memoryMB, batchSize: max(1, settings.batchSize),
                minutes: group.minutes.map { $0 * max(1, settings.batchSize) }, entries: entries)
            nextNumber += 1
            do {
                let id = try submitPlan(plan)
                c.log.write("submitted \(entries.count) trials as Slurm array job \(id) of \(plan.arraySize) tasks (\(group.cpus) CPUs, \(group.memoryMB) MB each)")
                for (i, e) in entries.enumerated() {
                    submitted.append(InFlight(task: e.taskName, attempt: e.attempt, trialName: e.trialName,
                                              submission: plan.number, index: plan.arrayIndex(ofEntry: i), arrayJobID: id))
                }
            } catch {
                c.log.write("submission \(plan.number) failed: \(error); its trials stay pending")
                logger.error("aa: Slurm submission failed: \(error)")
                for e in entries { try? c.ledger.reset(job: c.spec.jobName, task: e.taskName, attempt: e.attempt) }
            }
        }
        return submitted
    }

    /// Puts a slot back into the submission queue, counting a retry; its folder goes.
    private func requeue(_ f: InFlight, context c: JobRunner.SlotContext, queue: inout [SlotRef]) {
        try? FileTree.remove(c.jobDir + "/" + f.trialName)
        try? c.ledger.retried(job: c.spec.jobName, task: f.task, attempt: f.attempt)
        try? c.ledger.reset(job: c.spec.jobName, task: f.task, attempt: f.attempt)
        queue.append((f.task, f.attempt))
    }

    /// `scancel` of every array still in flight; once Slurm has them gone, trials that finished are
    /// kept and the others go back to pending.
    private func cancel(_ flying: [InFlight], context c: JobRunner.SlotContext, results: inout JobRunner.JobResults,
                        done: inout Int, total: Int, events: @Sendable (JobEvent) -> Void) async {
        guard !flying.isEmpty else { return }
        let arrays = Array(Set(flying.map(\.arrayJobID))).sorted()
        do {
            try commands.cancel(arrayJobIDs: arrays)
            c.log.write("cancelled Slurm array jobs \(arrays.joined(separator: ", "))")
        } catch {
            c.log.write("scancel: \(error)")
        }
        let prefix = SlurmSubmission.namePrefix(jobID: c.jobID)
        let mine = Set(flying.map { "\(SlurmSubmission.jobName(jobID: c.jobID, number: $0.submission))#\($0.index)" })
        let commands = self.commands
        // The task is cancelled, so this wait runs detached (Task.sleep would return at once).
        await Task.detached {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                guard let live = try? commands.queue(namePrefix: prefix) else { break }
                if !live.contains(where: { mine.contains("\($0.name)#\($0.index)") }) { break }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }.value
        for f in flying {
            let dir = c.jobDir + "/" + f.trialName
            if let record = try? JSONFile.read(TrialResultRecord.self, from: dir + "/result.json"),
               record.exceptionInfo.map({ !c.spec.shouldRetry(TrialFailure.Kind(rawValue: $0.exceptionType)) }) ?? true,
               (try? c.ledger.finish(job: c.spec.jobName, task: f.task, attempt: f.attempt, record: record)) != nil {
                done += 1
                events(.trialFinished(record, done: done, total: total))
                results.add(record)
                continue
            }
            try? FileTree.remove(dir)
            try? c.ledger.reset(job: c.spec.jobName, task: f.task, attempt: f.attempt)
        }
    }

    /// Writes the plan and batch script of a submission and submits it; returns the array job id.
    private func submitPlan(_ plan: SlurmSubmission) throws -> String {
        let dir = SlurmSubmission.directory(jobDirectory: plan.jobDirectory)
        try FileManager.default.createDirectory(atPath: dir + "/submit-\(plan.number)", withIntermediateDirectories: true)
        try JSONFile.write(plan, to: plan.planPath)
        // The plan carries the agent's options (--ae values may be keys): only the submitting user reads it.
        guard chmod(plan.planPath, 0o600) == 0 else {
            throw JobError("chmod \(plan.planPath): \(String(cString: strerror(errno)))")
        }
        let script = plan.batchScript(slurm: settings, executable: settings.executable ?? Self.currentExecutable(),
                                      throttle: settings.throttle ?? plan.arraySize)
        try Data(script.utf8).write(to: URL(fileURLWithPath: plan.scriptPath), options: .atomic)
        let id = try commands.submit(script: plan.scriptPath, workingDirectory: plan.jobDirectory)
        try Data((id + "\n").utf8).write(to: URL(fileURLWithPath: plan.idPath), options: .atomic)
        return id
    }

    /// Pending slots grouped by the resources and time limit their task asks for (one array per group).
    private func groups(_ slots: [SlotRef], tasks: [String: TaskDefinition], trial: TrialSettings)
        -> [(cpus: Int, memoryMB: Int, minutes: Int?, slots: [SlotRef])] {
        var out: [String: (cpus: Int, memoryMB: Int, minutes: Int?, slots: [SlotRef])] = [:]
        var order: [String] = []
        for slot in slots {
            guard let task = tasks[slot.task] else { continue }
            let r = resources(task, trial: trial)
            let minutes = settings.time == nil ? Self.minutes(task, trial: trial) : nil
            let key = "\(r.cpus)/\(r.memoryMB)/\(minutes ?? 0)"
            if out[key] == nil {
                out[key] = (r.cpus, r.memoryMB, minutes, [])
                order.append(key)
            }
            out[key]?.slots.append(slot)
        }
        return order.compactMap { out[$0] }
    }

    /// A trial's Slurm request: the task's `[environment]` cpus (rounded up) and memory, or the
    /// job's overrides, plus the runner's own memory.
    func resources(_ task: TaskDefinition, trial: TrialSettings) -> (cpus: Int, memoryMB: Int) {
        let env = task.config.environment
        let cpus = Int((trial.overrideCPUs ?? env.cpus ?? 1).rounded(.up))
        let memory = trial.overrideMemoryMB ?? env.memoryMB ?? settings.defaultMemoryMB
        return (max(1, cpus), memory + settings.runnerMemoryMB)
    }

    /// A trial's time limit in whole minutes: the environment build, agent and verifier timeouts with the
    /// job's multipliers, plus 5 minutes for the runner; nil when the agent has no timeout.
    static func minutes(_ task: TaskDefinition, trial: TrialSettings) -> Int? {
        guard let agent = trial.agentTimeout(task.config) else { return nil }
        let seconds = task.config.environment.buildTimeoutSec * trial.buildMultiplier + agent + trial.verifierTimeout(task.config)
        return Int((seconds / 60).rounded(.up)) + 5
    }

    /// This process's executable, which the nodes run as `aa run-trial`.
    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
