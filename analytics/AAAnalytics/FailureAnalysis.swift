/// The failure report's content: failed trials partitioned by their primary signature, merged by
/// template, ranked by impact, with evidence and the lost-direction step of every member.
public struct FailureAnalysis: Sendable, Codable, Equatable {
    /// A failed trial in a cluster.
    public struct Member: Sendable, Codable, Equatable {
        public var job: String
        public var trial: String
        public var task: String
        public var reward: Double?
        /// The step where the trial lost direction.
        public var step: Int?
        public var stepCount: Int
    }

    /// A bounded excerpt of what happened at a step of a member.
    public struct Evidence: Sendable, Codable, Equatable {
        public var trial: String
        public var task: String
        public var step: Int?
        public var command: String?
        public var output: String?
    }

    public struct Cluster: Sendable, Codable, Equatable {
        /// Stable across analyses: the kind and the template, so `--compare` can match clusters.
        public var id: String
        public var kind: FailureKind
        public var name: String
        public var description: String
        public var lever: String
        /// The command, error or verifier template the members share; nil for a merged "various" cluster.
        public var template: String?
        public var failedTrials: Int
        /// Share of all failed trials.
        public var share: Double
        public var rewardLost: Double
        public var tasks: [String]
        /// Median lost-direction step of the members.
        public var medianStep: Double?
        /// Mean of the shares of failed trials, reward lost and failing tasks: what ranks clusters.
        public var impact: Double
        public var members: [Member]
        public var evidence: [Evidence]
    }

    public struct TaskSummary: Sendable, Codable, Equatable {
        public var task: String
        public var trials: Int
        public var succeeded: Int
        public var meanReward: Double?
        /// Failed trials of the task per failure kind (raw value).
        public var failures: [String: Int]
    }

    /// Every failed trial with all its signatures.
    public struct Failure: Sendable, Codable, Equatable {
        public var job: String
        public var trial: String
        public var task: String
        public var attempt: Int?
        public var reward: Double?
        public var exception: String?
        public var stepCount: Int
        public var lostDirectionStep: Int?
        /// "successful runs" when compared with successes of the same task, else "last progress".
        public var lostDirectionBasis: String
        public var signatures: [Signature]
        public var cluster: String
    }

    public var jobs: [String]
    public var trials: Int
    public var failedTrials: Int
    public var meanReward: Double?
    public var rewardLost: Double
    public var tasks: [TaskSummary]
    public var clusters: [Cluster]
    public var failures: [Failure]
    /// Failed trials by where in the run they lost direction: ten buckets of the run's length.
    public var lossPositions: [Int]
    /// Problems met while reading the input (torn traces, corrupt frames, unreadable files).
    public var problems: [String]

    /// Analyzes the tables (or a range of their trials): detectors on every failed trial,
    /// lost-direction steps, clusters. Analyses of ranges of one set of tables share its templates,
    /// so their cluster ids match (what `--compare` needs).
    public static func analyze(_ tables: TraceTables, trials range: Range<Int>? = nil, problems: [String] = []) -> FailureAnalysis {
        let range = range ?? 0..<tables.trials.count
        let detectors = Detectors(tables: tables)
        let lost = LostDirection(detectors: detectors, trials: range)
        let t = tables.trials
        var failures: [Failure] = []
        var rows: [Int] = []
        var primaries: [Signature] = []
        var positions = Array(repeating: 0, count: 10)
        for trial in range where !t.succeeded(trial) {
            let signatures = detectors.signatures(trial: trial)
            let step = lost.step(trial)
            let count = Int(t.stepCount[trial])
            if let step, count > 0 { positions[min(9, max(0, (step - 1) * 10 / count))] += 1 }
            failures.append(Failure(
                job: t.job[trial] ?? "", trial: t.name[trial] ?? "", task: t.task[trial] ?? "",
                attempt: t.attempt[trial] < 0 ? nil : Int(t.attempt[trial]), reward: t.reward[trial].isNaN ? nil : t.reward[trial],
                exception: t.exception[trial], stepCount: count, lostDirectionStep: step,
                lostDirectionBasis: lost.hasReference(trial) ? "successful runs" : "last progress",
                signatures: signatures, cluster: ""))
            rows.append(trial)
            primaries.append(signatures[0])
        }

        // Partition by signature (kind and template); singletons of a kind merge into one cluster.
        var groups: [String: [Int]] = [:]
        for (i, s) in primaries.enumerated() { groups[clusterID(s.kind, s.template), default: []].append(i) }
        var singles: [FailureKind: Int] = [:]
        for members in groups.values where members.count == 1 { singles[primaries[members[0]].kind, default: 0] += 1 }
        var merged: [String: [Int]] = [:]
        for (id, members) in groups {
            let kind = primaries[members[0]].kind
            let key = members.count == 1 && singles[kind, default: 0] > 1 ? clusterID(kind, nil) : id
            merged[key, default: []].append(contentsOf: members)
        }

        let totalFailed = max(1, failures.count)
        let totalLost = max(1e-9, rows.reduce(0) { $0 + t.rewardLost($1) })
        let failingTasks = max(1, Set(failures.map(\.task)).count)
        var clusters: [Cluster] = []
        for (id, members) in merged {
            let members = members.sorted()
            let kind = primaries[members[0]].kind
            let template = id == clusterID(kind, nil) ? nil : primaries[members[0]].template
            for i in members { failures[i].cluster = id }
            let tasks = Array(Set(members.map { failures[$0].task })).sorted()
            let lostReward = members.reduce(0) { $0 + t.rewardLost(rows[$1]) }
            let steps = members.compactMap { failures[$0].lostDirectionStep.map(Double.init) }.sorted()
            let impact = (Double(members.count) / Double(totalFailed) + lostReward / totalLost + Double(tasks.count) / Double(failingTasks)) / 3
            clusters.append(Cluster(
                id: id, kind: kind,
                name: kind.title + (template.map { ": " + TextExcerpt.prefix($0, limit: 80) } ?? ""),
                description: kind.summary, lever: kind.lever, template: template,
                failedTrials: members.count, share: Double(members.count) / Double(totalFailed), rewardLost: lostReward,
                tasks: tasks, medianStep: steps.isEmpty ? nil : Aggregate.median(sorted: steps), impact: impact,
                members: members.map { i in
                    let f = failures[i]
                    return Member(job: f.job, trial: f.trial, task: f.task, reward: f.reward, step: f.lostDirectionStep, stepCount: f.stepCount)
                },
                evidence: evidence(members.map { (rows[$0], primaries[$0], failures[$0].lostDirectionStep) }, tables: tables)))
        }
        clusters.sort { ($0.impact, $1.id) > ($1.impact, $0.id) }

        var byTask: [String: TaskSummary] = [:]
        for trial in range {
            let task = t.task[trial] ?? ""
            var s = byTask[task] ?? TaskSummary(task: task, trials: 0, succeeded: 0, meanReward: nil, failures: [:])
            s.trials += 1
            if t.succeeded(trial) { s.succeeded += 1 }
            byTask[task] = s
        }
        for aggregate in tables.rewardByTask(trials: Array(range)) { byTask[aggregate.key]?.meanReward = aggregate.mean.isNaN ? nil : aggregate.mean }
        for (i, f) in failures.enumerated() { byTask[f.task]?.failures[primaries[i].kind.rawValue, default: 0] += 1 }

        let rewards = t.reward[range].filter { !$0.isNaN }
        return FailureAnalysis(
            jobs: Array(Set(range.compactMap { t.job[$0] })).sorted(), trials: range.count, failedTrials: failures.count,
            meanReward: rewards.isEmpty ? nil : rewards.reduce(0, +) / Double(rewards.count),
            rewardLost: rows.reduce(0) { $0 + t.rewardLost($1) },
            tasks: byTask.values.sorted { $0.task < $1.task }, clusters: clusters, failures: failures,
            lossPositions: positions, problems: problems)
    }

    static func clusterID(_ kind: FailureKind, _ template: String?) -> String {
        kind.rawValue + ": " + (template ?? "various")
    }

    /// Up to three excerpts, from different tasks first.
    static func evidence(_ members: [(trial: Int, signature: Signature, step: Int?)], tables: TraceTables) -> [Evidence] {
        var chosen: [(Int, Signature, Int?)] = []
        var tasks = Set<Int32>()
        for m in members where chosen.count < 3 && tasks.insert(tables.trials.task.codes[m.trial]).inserted { chosen.append(m) }
        for m in members where chosen.count < 3 && !chosen.contains(where: { $0.0 == m.trial }) { chosen.append(m) }
        return chosen.map { trial, signature, lostStep in
            let range = tables.trials.steps(of: trial)
            let row = signature.row ?? lostStep.flatMap { s in range.first { tables.steps.index[$0] == Int32(s) } }
            let fromVerifier = signature.kind == .wrongOutput || signature.kind == .failedVerification
            let verifier = tables.trials.verifierOutput[trial]
            let output = (fromVerifier ? verifier : nil) ?? row.flatMap { tables.steps.output[$0] }.flatMap { $0.isEmpty ? nil : $0 }
                ?? verifier ?? tables.trials.exception[trial]
            return Evidence(
                trial: tables.trials.name[trial] ?? "", task: tables.trials.task[trial] ?? "",
                step: row.map { Int(tables.steps.index[$0]) } ?? signature.step,
                command: row.flatMap { tables.steps.command[$0] }.map { TextExcerpt.bounded($0, limit: 240) },
                output: output.map { TextExcerpt.bounded($0, limit: 400) })
        }
    }
}
