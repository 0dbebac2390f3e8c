import AACore
import AASandbox
import Benchmark
import Foundation
import Logging

// Trial overhead of `aa` against its in-run baseline, a plain shell loop around bubblewrap doing the
// same work: one trial (create, oracle on a trivial task, verify, destroy), and 200 oracle trials
// eight at a time. Compare the rows of one run (ratios), not across machines. Needs root, bwrap, and
// `swift build -c release` in the root package first (for aa-sandbox-init).

private let repository: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
private let trivialTask = repository + "/examples/tasks/hello-file"
private let scratch = "/var/tmp/aa-bench-\(getpid())"

/// One trial done with bubblewrap: the oracle's solve.sh in one sandbox, test.sh in a second one
/// that shares /app, then the reward read back. Arguments: scratch folder, trial number, task folder.
private let bwrapTrial = #"""
    set -e
    d="$1/t$2"; mkdir -p "$d/app" "$d/agent" "$d/verifier"
    common="--unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib
      --symlink usr/lib64 /lib64 --ro-bind /etc /etc --proc /proc --dev /dev --tmpfs /tmp --bind $d/app /app --chdir /app"
    bwrap $common --bind "$d/agent" /logs/agent --ro-bind "$3/solution" /solution \
      /bin/bash -c '(/solution/solve.sh) > /logs/agent/oracle.txt 2>&1'
    bwrap $common --bind "$d/verifier" /logs/verifier --ro-bind "$3/tests" /tests \
      /bin/bash -c '(/tests/test.sh) > /logs/verifier/test-stdout.txt 2>&1'
    test "$(cat "$d/verifier/reward.txt")" = 1
    """#

/// Runs a bash script with arguments and checks that it succeeds.
private func bash(_ script: String, _ arguments: [String]) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", script, "bench"] + arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { preconditionFailure("bash: \(error)") }
    p.waitUntilExit()
    precondition(p.terminationStatus == 0, "the bubblewrap baseline failed")
}

/// The trial and job runners of `aa run`, on the bundled trivial task.
private struct Runners {
    let task: TaskDefinition
    let trials: TrialRunner
    let jobs: JobRunner

    init() throws {
        // The sandbox's init binary is built by the root package (`swift build -c release` there).
        let initBinary = repository + "/.build/release/aa-sandbox-init"
        if getenv("AA_SANDBOX_INIT") == nil, access(initBinary, X_OK) == 0 { setenv("AA_SANDBOX_INIT", initBinary, 1) }
        let runtime = try SandboxRuntime.shared()
        let logger = Logger(label: "bench")
        let builder = EnvironmentBuilder(cacheDirectory: scratch + "/cache", imageMap: ImageMap(), runtime: runtime, logger: logger)
        trials = TrialRunner(runtime: runtime, builder: builder, settings: TrialSettings(), logger: logger)
        jobs = JobRunner(trialRunner: trials, logger: logger)
        task = try TaskDefinition.load(directory: trivialTask)
        try FileManager.default.createDirectory(atPath: scratch + "/trials", withIntermediateDirectories: true)
    }

    func trial(_ n: Int) async throws {
        let placement = TrialRunner.Placement(jobID: "bench", jobDirectory: scratch + "/trials", trialName: "t\(n)", attempt: 0,
                                              taskChecksum: "")
        let record = try await trials.run(task: task, agent: OracleAgent(), agentOptions: .init(), placement: placement)
        precondition(record.reward == 1, "trial \(n) scored \(record.reward): \(record.exceptionInfo?.exceptionMessage ?? "")")
    }

    func job(_ n: Int) async throws {
        let spec = JobSpec(jobName: "job\(n)", jobsDirectory: scratch + "/jobs", datasetPath: trivialTask, tasks: [task],
                           agentName: "oracle", attempts: 200, concurrency: 8)
        let outcome = try await jobs.run(spec)
        let passed = outcome.result.trialResults.filter { $0.reward == 1 }.count
        precondition(passed == 200, "job \(n): \(passed) of 200 trials passed")
    }
}

nonisolated(unsafe) private var runners: Runners?
nonisolated(unsafe) private var counter = 0

private func next() -> Int {
    counter += 1
    return counter
}

let benchmarks: @Sendable () -> Void = {
    let single = Benchmark.Configuration(metrics: [.wallClock, .throughput], timeUnits: .milliseconds, warmupIterations: 3,
                                         maxDuration: .seconds(30), maxIterations: 300,
                                         setup: { runners = try Runners() }, teardown: { try? FileManager.default.removeItem(atPath: scratch) })
    let batch = Benchmark.Configuration(metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1,
                                        maxDuration: .seconds(60), maxIterations: 5,
                                        setup: { runners = try Runners() }, teardown: { try? FileManager.default.removeItem(atPath: scratch) })

    Benchmark("baseline: bwrap shell loop, one trial", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations { bash(bwrapTrial, [scratch + "/bwrap", "\(next())", trivialTask]) }
    }

    Benchmark("aa: one trial (create, oracle, verify, destroy)", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations { try await runners!.trial(next()) }
    }

    // The two, back to back in every iteration: their ratio holds up on a busy machine where the
    // rows above drift with the load.
    let ratio = BenchmarkMetric.custom("aa ÷ bwrap (%)", polarity: .prefersSmaller, useScalingFactor: false)
    var paired = single
    paired.metrics = [ratio]
    Benchmark("ratio: aa trial ÷ bwrap trial, back to back", configuration: paired) { benchmark in
        for _ in benchmark.scaledIterations {
            let n = next()
            let start = DispatchTime.now().uptimeNanoseconds
            try await runners!.trial(n)
            let middle = DispatchTime.now().uptimeNanoseconds
            bash(bwrapTrial, [scratch + "/bwrap", "\(n)", trivialTask])
            let end = DispatchTime.now().uptimeNanoseconds
            benchmark.measurement(ratio, Int((middle - start) * 100 / max(1, end - middle)))
        }
    }

    Benchmark("baseline: bwrap shell loop, 200 trials 8 at a time", configuration: batch) { benchmark in
        for _ in benchmark.scaledIterations {
            let loop = #"seq 200 | xargs -P 8 -I{} bash -c "$1" bench "$2" {} "$3""#
            bash(loop, [bwrapTrial, scratch + "/bwrap-batch\(next())", trivialTask])
        }
    }

    Benchmark("aa: 200 oracle trials 8 at a time (aa run -k 200 -n 8)", configuration: batch) { benchmark in
        for _ in benchmark.scaledIterations { try await runners!.job(next()) }
    }
}
