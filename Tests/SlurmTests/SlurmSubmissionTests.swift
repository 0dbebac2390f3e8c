@testable import AACore
import Testing

@Suite struct SlurmSubmissionTests {
    func submission(entries: Int, batch: Int = 1) -> SlurmSubmission {
        SlurmSubmission(
            number: 3, jobID: "j1", jobDirectory: "/shared/jobs/it's", agentName: "oracle", agentOptions: .init(),
            settings: TrialSettings(), imageMap: nil, cacheDirectory: nil, forceBuild: false, cpus: 2, memoryMB: 1280, batchSize: batch, minutes: 17,
            entries: (0..<entries).map { .init(taskDirectory: "/t/\($0)", taskName: "t\($0)", attempt: 0, trialName: "t\($0)__x", taskChecksum: "") })
    }

    @Test func batchScriptRequestsTheArrayAndItsResources() {
        var slurm = SlurmSettings()
        slurm.partition = "gpu"
        slurm.account = "lab"
        slurm.time = "1:00:00"
        slurm.extraOptions = ["--qos=high"]
        let script = submission(entries: 5).batchScript(slurm: slurm, executable: "/opt/aa/bin/aa", throttle: 2)
        let directives = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
        #expect(directives.contains("--job-name=aa-j1-3"))
        #expect(directives.contains("--output=.aa-slurm/submit-3/%a.out"))
        #expect(directives.contains("--array=0-4%2"))
        #expect(directives.contains("--cpus-per-task=2"))
        #expect(directives.contains("--mem=1280M"))
        #expect(directives.contains("--no-requeue"))
        #expect(directives.contains("--partition=gpu"))
        #expect(directives.contains("--account=lab"))
        #expect(directives.contains("--time=1:00:00"))
        #expect(directives.last == "--qos=high")
        #expect(!directives.contains("--time=17"))
        #expect(submission(entries: 1).batchScript(slurm: SlurmSettings(), executable: "/aa", throttle: 1).contains("#SBATCH --time=17\n"))
        #expect(script.hasSuffix("exec '/opt/aa/bin/aa' run-trial '/shared/jobs/it'\\''s/.aa-slurm/submit-3.json' --index \"$SLURM_ARRAY_TASK_ID\"\n"))
    }

    @Test func batchesSplitTheEntriesOverFewerArrayTasks() {
        let plan = submission(entries: 7, batch: 3)
        #expect(plan.arraySize == 3)
        #expect(plan.entryIndices(ofArrayIndex: 0) == 0..<3)
        #expect(plan.entryIndices(ofArrayIndex: 2) == 6..<7)
        #expect(plan.entryIndices(ofArrayIndex: 3).isEmpty)
        #expect((0..<7).map(plan.arrayIndex(ofEntry:)) == [0, 0, 0, 1, 1, 1, 2])
        #expect(plan.batchScript(slurm: SlurmSettings(), executable: "/aa", throttle: 8).contains("#SBATCH --array=0-2%8\n"))
    }

    @Test func timeLimitCoversBuildAgentAndVerifierWithTheMultipliers() throws {
        let task = try TaskDefinition.load(directory: TestCluster.repository + "/examples/tasks/hello-file")
        var settings = TrialSettings()
        // hello-file: build 600 s (default), agent 120 s, verifier 60 s.
        #expect(SlurmExecutor.minutes(task, trial: settings) == 13 + 5)
        settings.timeoutMultiplier = 2
        #expect(SlurmExecutor.minutes(task, trial: settings) == 26 + 5)
    }

    @Test func jobNamesCarryTheJobAndTheSubmission() {
        #expect(SlurmSubmission.jobName(jobID: "abc", number: 12) == "aa-abc-12")
        #expect(SlurmSubmission.jobName(jobID: "abc", number: 12).hasPrefix(SlurmSubmission.namePrefix(jobID: "abc")))
    }
}
