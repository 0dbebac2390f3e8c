import AAAnalytics
import AASandbox
import Foundation
import Glibc
import Logging

/// Runs one trial with the trust model: the agent works in a sandbox where /tests is empty and
/// not writable, /solution exists only for the oracle, and /logs/verifier belongs to the host;
/// when the agent is done (or out of time) every process in the sandbox is killed, the verifier
/// folder is emptied and handed over, the tests are copied in, and only then does test.sh run.
public struct TrialRunner: Sendable {
    public let runtime: SandboxRuntime
    public let builder: EnvironmentBuilder
    public let settings: TrialSettings
    public let logger: Logger

    public init(runtime: SandboxRuntime, builder: EnvironmentBuilder, settings: TrialSettings, logger: Logger) {
        self.runtime = runtime
        self.builder = builder
        self.settings = settings
        self.logger = logger
    }

    /// What a trial needs to know about its place in the job.
    public struct Placement: Sendable {
        public var jobID: String
        public var jobDirectory: String
        public var trialName: String
        public var attempt: Int
        /// The task folder's checksum (computed once per job).
        public var taskChecksum: String
        public init(jobID: String, jobDirectory: String, trialName: String, attempt: Int, taskChecksum: String) {
            self.jobID = jobID
            self.jobDirectory = jobDirectory
            self.trialName = trialName
            self.attempt = attempt
            self.taskChecksum = taskChecksum
        }
    }

    /// Runs the trial and writes its folder. Throws `CancellationError` when cancelled, or the
    /// error writing result.json; the folder is then incomplete and should be discarded. Every other
    /// failure is recorded in the result.
    public func run(task: TaskDefinition, agent: any TrialAgent, agentOptions: AgentRegistry.Options,
                    placement: Placement) async throws -> TrialResultRecord {
        let dir = placement.jobDirectory + "/" + placement.trialName
        let stage = placement.jobDirectory + "/.aa-stage/" + placement.trialName
        let started = Date()
        var record = TrialResultRecord(
            id: UUID().uuidString.lowercased(), taskName: task.name, trialName: placement.trialName,
            trialURI: URL(fileURLWithPath: dir).absoluteString, taskID: .init(path: task.directory), source: nil,
            taskChecksum: placement.taskChecksum,
            config: TrialConfigRecord(
                task: .init(path: task.directory), trialName: placement.trialName, trialsDir: placement.jobDirectory,
                timeoutMultiplier: settings.timeoutMultiplier, agentTimeoutMultiplier: settings.agentTimeoutMultiplier,
                verifierTimeoutMultiplier: settings.verifierTimeoutMultiplier,
                agent: .init(name: agent.name, modelName: agent.modelName, kwargs: agentOptions.kwargs),
                environment: .init(importPath: AutoAgent.environmentImportPath, forceBuild: builder.forceBuild, delete: true),
                verifier: .init(disable: settings.disableVerification), jobID: placement.jobID),
            agentInfo: AgentInfo(name: agent.name, version: agent.version, modelInfo: agent.modelName.map { .init(name: $0, provider: nil) }),
            startedAt: ISOTime.string(started))
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? JSONFile.write(record.config, to: dir + "/config.json")
        let log = TrialLog(path: dir + "/trial.log")
        defer { log.close() }
        log.write("trial \(placement.trialName): task \(task.name), agent \(agent.name), attempt \(placement.attempt)")
        try? FileManager.default.createDirectory(atPath: dir + "/agent", withIntermediateDirectories: true)
        let trace = TraceRecorder(path: dir + "/agent/trace.aatrace")
        if let problem = trace.openError { log.write("cannot open the trace: \(problem)") }
        trace.record(.trialStart) {
            $0.task = task.name
            $0.trial = placement.trialName
            $0.agent = agent.name
            $0.model = agent.modelName
            $0.attempt = placement.attempt
        }
        var phases = Phases()
        var failure: TrialFailure?
        var cancelled = false
        do {
            try await execute(task: task, agent: agent, options: agentOptions, dir: dir, stage: stage, trace: trace,
                              log: log, record: &record, phases: &phases)
        } catch let f as TrialFailure {
            failure = f
        } catch is CancellationError {
            cancelled = true
        } catch let e as TaskError {
            failure = TrialFailure(.unsupportedTask, e.description)
        } catch {
            failure = TrialFailure(.sandbox, "\(error)")
        }
        try? FileTree.remove(stage)
        handBack(dir)
        if cancelled {
            trace.close()
            log.write("cancelled")
            throw CancellationError()
        }
        let finished = Date()
        if let failure {
            log.write("failed: \(failure)")
            record.exceptionInfo = ExceptionInfo(
                exceptionType: failure.kind.rawValue, exceptionMessage: failure.message,
                exceptionTraceback: "\(failure.kind.rawValue): \(failure.message)", occurredAt: ISOTime.string(finished))
            try? "\(failure.kind.rawValue): \(failure.message)\n".write(toFile: dir + "/exception.txt", atomically: true, encoding: .utf8)
            trace.record(.error) {
                $0.category = failure.kind.rawValue
                $0.message = String(failure.message.prefix(2000))
            }
        }
        if let rewards = record.verifierResult?.rewards {
            trace.record(.reward) { $0.reward = rewards["reward"] ?? record.reward }
        }
        record.environmentSetup = phases.environment
        record.agentSetup = phases.agentSetup
        record.agentExecution = phases.agent
        record.verifier = phases.verifier
        record.finishedAt = ISOTime.string(finished)
        trace.record(.trialEnd) {
            $0.task = task.name
            $0.trial = placement.trialName
            $0.exception = failure?.kind.rawValue
            $0.durationSeconds = finished.timeIntervalSince(started)
            $0.reward = record.verifierResult?.rewards.map { _ in record.reward }
        }
        trace.close()
        if trace.writeFailures > 0 { log.write("\(trace.writeFailures) trace events could not be written") }
        log.write("finished: reward \(record.verifierResult?.rewards.map { "\($0)" } ?? "none")")
        // A trial stopped meanwhile (Ctrl-C, scancel) may have failed only because its sandbox was killed
        // with it: that is no result.
        if Task.isCancelled {
            log.write("cancelled")
            throw CancellationError()
        }
        try JSONFile.write(record, to: dir + "/result.json")
        return record
    }

    struct Phases {
        var environment: TimingInfo?
        var agentSetup: TimingInfo?
        var agent: TimingInfo?
        var verifier: TimingInfo?
    }

    private func execute(task: TaskDefinition, agent: any TrialAgent, options: AgentRegistry.Options, dir: String,
                         stage: String, trace: TraceRecorder, log: TrialLog, record: inout TrialResultRecord,
                         phases: inout Phases) async throws {
        try checkSupported(task)
        let envStart = Date()
        let environment = try await builder.prepare(task, timeoutMultiplier: settings.buildMultiplier)
        for w in environment.warnings { log.write("warning: \(w)") }
        let root = (runtime.hostID(forInside: 0), runtime.hostID(forInside: 0))
        let agentUser = try userIDs(task.config.agent.user, environment: environment, field: "agent.user", task: task)
        let verifierUser = try userIDs(task.config.verifier.user, environment: environment, field: "verifier.user", task: task)
        // Host side of the mounts: agent/ and artifacts/ are host-owned and sticky (1777), so the
        // sandbox can add files but cannot remove or replace the host's own (the trace); verifier/ and
        // the stage for /tests are owned by the host and not writable inside until verification.
        do {
            for sub in ["agent", "artifacts"] {
                try FileTree.makeDirectories(dir + "/" + sub)
                lchown(dir + "/" + sub, 0, 0)
                chmod(dir + "/" + sub, 0o1777)
            }
            try FileTree.makeDirectories(dir + "/verifier")
            try FileTree.clear(dir + "/verifier")
            lchown(dir + "/verifier", 0, 0)
            chmod(dir + "/verifier", 0o755)
            try FileTree.remove(stage)
            try FileTree.makeDirectories(stage + "/tests", mode: 0o755)
            if agent.needsSolution {
                try FileTree.copy(task.solutionDirectory, to: stage + "/solution", owner: root)
                chmod(stage + "/solution/solve.sh", 0o755)
            }
        } catch {
            throw TrialFailure(.sandbox, "preparing the trial folder: \(error)")
        }
        var spec = SandboxSpec(hostname: "aa-trial")
        spec.rootfs = environment.base.rootfs
        spec.layers = environment.layers
        let taskEnv = try EnvTemplate.expand(task.config.environment.env, field: "environment.env", task: task.name)
        spec.environment = Self.merge(SandboxSpec.defaultEnvironment, environment.environment, taskEnv)
        let workdir = task.config.environment.workdir ?? environment.workingDirectory
        spec.workingDirectory = "/"
        spec.uid = environment.uid
        spec.gid = environment.gid
        spec.mounts = [
            .bind(source: dir + "/agent", destination: "/logs/agent", readOnly: false),
            .bind(source: dir + "/verifier", destination: "/logs/verifier", readOnly: false),
            .bind(source: dir + "/artifacts", destination: "/logs/artifacts", readOnly: false),
            .bind(source: stage + "/tests", destination: "/tests", readOnly: false),
        ]
        if agent.needsSolution { spec.mounts.append(.bind(source: stage + "/solution", destination: "/solution", readOnly: false)) }
        let env = task.config.environment
        spec.network = env.networkMode == .public ? .host : .none
        if let cpus = settings.overrideCPUs ?? env.cpus { spec.limits.cpus = cpus }
        if let mb = settings.overrideMemoryMB ?? env.memoryMB { spec.limits.memoryBytes = mb << 20 }
        spec.limits.diskBytes = (settings.overrideStorageMB ?? env.storageMB ?? 4096) << 20
        spec.limits.pids = 4096
        spec.capabilities = settings.capabilities
        log.write("creating sandbox: image \(environment.image) (key \(environment.key.prefix(12)), \(environment.layers.count) layers), network \(spec.network.rawValue)")
        let sandbox: Sandbox
        do { sandbox = try await Sandbox.create(spec, runtime: runtime) } catch {
            throw TrialFailure(.sandbox, "creating the sandbox: \(error)")
        }
        let inside: InsideOutcome
        do {
            // Cancelling the trial (Ctrl-C) tears the sandbox down, so whatever runs in it returns at once.
            inside = try await withTaskCancellationHandler {
                try await runInside(sandbox, task: task, agent: agent, options: options, dir: dir, stage: stage, trace: trace,
                                    log: log, record: &record, phases: &phases, workdir: workdir, envStart: envStart,
                                    agentUser: agentUser, verifierUser: verifierUser, environment: environment)
            } onCancel: {
                Task { await sandbox.destroy() }
            }
        } catch {
            await sandbox.destroy()
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
        if Task.isCancelled {
            await sandbox.destroy()
            throw CancellationError()
        }
        // Nothing is left running once destroy returns: only then is the verifier's folder read.
        await sandbox.destroy()
        lchown(dir + "/verifier", 0, 0)
        chmod(dir + "/verifier", 0o755)
        if let run = inside.verifier {
            if run.result.timedOut { throw TrialFailure(.verifierTimeout, "test.sh ran past its timeout of \(Int(run.timeout)) s") }
            log.write("test.sh exited with \(run.result.shellStatus)")
            record.verifierResult = VerifierResultRecord(rewards: try RewardFile.read(verifierDirectory: dir + "/verifier"))
        }
        if let failure = inside.agentFailure { throw failure }
    }

    /// What happened inside the sandbox: the verifier's run (nil when verification is off) and the agent's failure.
    struct InsideOutcome {
        var verifier: (result: ExecResult, timeout: Double)?
        var agentFailure: TrialFailure?
    }

    private func runInside(_ sandbox: Sandbox, task: TaskDefinition, agent: any TrialAgent, options: AgentRegistry.Options,
                           dir: String, stage: String, trace: TraceRecorder, log: TrialLog, record: inout TrialResultRecord,
                           phases: inout Phases, workdir: String, envStart: Date, agentUser: (UInt32, UInt32),
                           verifierUser: (UInt32, UInt32), environment: PreparedEnvironment) async throws -> InsideOutcome {
        let inImage = { (path: String) in
            ImageMap.hostPaths(forInside: path, layers: environment.layers, base: environment.base, runtime: self.runtime)
        }
        if !inImage(workdir).contains(where: FileTree.isDirectory) {
            let made = try await sandbox.exec(ExecRequest(.argv(["mkdir", "-p", workdir]), workingDirectory: "/", timeoutSeconds: 30))
            guard made.shellStatus == 0 else { throw TrialFailure(.sandbox, "cannot create the workdir \(workdir): \(made.stderrText)") }
        }
        let shell = ["/bin/bash", "/usr/bin/bash"].first { inImage($0).contains(where: FileTree.exists) } ?? "/bin/sh"
        if let upload = environment.uploadDirectory {
            try await uploadDirectory(upload, into: workdir, sandbox: sandbox)
        }
        if let check = task.config.environment.healthcheck {
            try await healthcheck(check, sandbox: sandbox, workdir: workdir, log: log)
        }
        let envEnd = Date()
        phases.environment = TimingInfo(startedAt: ISOTime.string(envStart), finishedAt: ISOTime.string(envEnd))
        phases.agentSetup = TimingInfo(startedAt: ISOTime.string(envEnd), finishedAt: ISOTime.string(envEnd))
        try Task.checkCancellation()

        // Agent phase.
        let session = AgentSession(sandbox: sandbox, workingDirectory: workdir, environment: sandbox.spec.environment,
                                   uid: agentUser.0, gid: agentUser.1, shell: shell)
        let timeout = settings.agentTimeout(task.config)
        let context = AgentContext(instruction: task.instruction, task: task, session: session,
                                   trace: trace,
                                   logsDirectory: dir + "/agent", timeoutSeconds: timeout, logger: logger)
        let agentStart = Date()
        log.write("agent \(agent.name) starts" + (timeout.map { " (timeout \(Int($0)) s)" } ?? ""))
        let outcome = await Self.runAgent(agent, context: context, timeout: timeout, sandbox: sandbox)
        // Nothing the agent started may outlive its phase.
        do { try await sandbox.killAll() } catch { throw TrialFailure(.sandbox, "stopping the agent's processes: \(error)") }
        phases.agent = TimingInfo(startedAt: ISOTime.string(agentStart), finishedAt: ISOTime.string(Date()))
        if Task.isCancelled { throw CancellationError() }
        var agentFailure: TrialFailure?
        switch outcome {
        case .finished(let out):
            record.agentResult = AgentResultRecord(nInputTokens: out.inputTokens, nCacheTokens: out.cacheTokens,
                                                   nOutputTokens: out.outputTokens, costUSD: out.costUSD, metadata: out.metadata)
            if let trajectory = out.trajectory {
                try? JSONFile.write(trajectory, to: dir + "/agent/trajectory.json")
                let problems = TrajectoryValidator.problems(in: trajectory)
                if !problems.isEmpty {
                    log.write("agent/trajectory.json breaks ATIF's rules: " + problems.prefix(5).joined(separator: "; "))
                    trace.record(.error) {
                        $0.category = "invalid_trajectory"
                        $0.message = problems.prefix(20).joined(separator: "\n")
                    }
                }
            }
            if let code = out.exitCode, code != 0 {
                agentFailure = TrialFailure(.nonZeroAgentExitCode, "the agent exited with \(code)")
            }
        case .timedOut:
            agentFailure = TrialFailure(.agentTimeout, "the agent ran past its timeout of \(Int(timeout ?? 0)) s")
        case .failed(let f):
            throw f
        }
        if let agentFailure { log.write("agent: \(agentFailure)") } else { log.write("agent finished") }

        // Verification.
        var verifier: (result: ExecResult, timeout: Double)?
        if !settings.disableVerification {
            let verifierStart = Date()
            verifier = try await verify(task, sandbox: sandbox, dir: dir, stage: stage, workdir: workdir, user: verifierUser,
                                        shell: shell, log: log)
            phases.verifier = TimingInfo(startedAt: ISOTime.string(verifierStart), finishedAt: ISOTime.string(Date()))
        }
        await collectArtifacts(task, sandbox: sandbox, dir: dir)
        return InsideOutcome(verifier: verifier, agentFailure: agentFailure)
    }

    enum AgentOutcomeKind: Sendable {
        case finished(AgentOutcome)
        case timedOut
        case failed(TrialFailure)
    }

    /// Runs the agent, racing its timeout; on timeout the agent task is cancelled and every
    /// process in the sandbox killed so its pending commands return.
    static func runAgent(_ agent: any TrialAgent, context: AgentContext, timeout: Double?, sandbox: Sandbox) async -> AgentOutcomeKind {
        await withTaskGroup(of: AgentOutcomeKind?.self) { group in
            group.addTask {
                do { return .finished(try await agent.run(context)) } catch let f as TrialFailure {
                    return .failed(f)
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failed(TrialFailure(.agentError, "\(error)"))
                }
            }
            if let timeout {
                group.addTask {
                    try? await Task.sleep(for: .seconds(timeout))
                    return Task.isCancelled ? nil : .timedOut
                }
            }
            var result: AgentOutcomeKind = .timedOut
            while let next = await group.next() {
                guard let next else { continue }
                result = next
                break
            }
            group.cancelAll()
            if case .timedOut = result { try? await sandbox.killAll() }
            while await group.next() != nil {}
            return result
        }
    }

    /// Hands /tests and /logs/verifier to the verifier and runs test.sh; the reward is read after the sandbox is gone.
    private func verify(_ task: TaskDefinition, sandbox: Sandbox, dir: String, stage: String, workdir: String,
                        user: (UInt32, UInt32), shell: String, log: TrialLog) async throws -> (result: ExecResult, timeout: Double) {
        let verifierDir = dir + "/verifier"
        do {
            try FileTree.clear(verifierDir)
            try FileTree.clear(stage + "/tests")
            try FileTree.copy(task.testsDirectory, to: stage + "/tests", owner: (runtime.hostID(forInside: 0), runtime.hostID(forInside: 0)))
            chmod(stage + "/tests/test.sh", 0o755)
            lchown(verifierDir, runtime.hostID(forInside: user.0), runtime.hostID(forInside: user.1))
            chmod(verifierDir, 0o777)
        } catch {
            throw TrialFailure(.sandbox, "preparing verification: \(error)")
        }
        var env = try EnvTemplate.expand(task.config.verifier.env, field: "verifier.env", task: task.name)
        for (k, v) in settings.verifierEnv { env[k] = v }
        let timeout = settings.verifierTimeout(task.config)
        var request = ExecRequest(
            .argv([shell, "-c", "(/tests/test.sh) > /logs/verifier/test-stdout.txt 2>&1"]),
            environment: Self.merge(sandbox.spec.environment, [], env), workingDirectory: workdir, timeoutSeconds: timeout)
        request.uid = user.0
        request.gid = user.1
        log.write("verifier starts (timeout \(Int(timeout)) s)")
        do { return (try await sandbox.exec(request), timeout) } catch { throw TrialFailure(.sandbox, "running the verifier: \(error)") }
    }
}
