import Glibc
import Synchronization

/// Measures launch throughput and latency of sandboxes against in-run baselines (bare fork+exec,
/// other sandbox tools), the way `aa-sandbox bench` and the Benchmarks package report them.
public enum LaunchBenchmark {
    /// What is launched, `launches` times over `streams` concurrent workers.
    public enum Subject: Sendable {
        /// An external command (posix_spawn + waitpid), e.g. /bin/true or bwrap.
        case process([String])
        /// A fresh sandbox per launch through the library, running argv.
        case sandbox(SandboxSpec, [String])
        /// An exec of argv into one live sandbox.
        case exec(SandboxSpec, [String])
    }

    public struct Measurement: Sendable, Codable {
        public var name: String
        public var streams: Int
        public var launches: Int
        public var failures: Int
        public var perSecond: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
    }

    public static func measure(
        _ subject: Subject, name: String, streams: Int, launches: Int, runtime: SandboxRuntime
    ) async throws -> Measurement {
        let perStream = max(1, launches / streams)
        let start = ContinuousClock.now
        let (latencies, failures): ([Double], Int)
        switch subject {
        case .process(let argv):
            (latencies, failures) = spawnLoops(argv, streams: streams, perStream: perStream)
        case .sandbox(let spec, let argv):
            (latencies, failures) = try await taskLoops(streams: streams, perStream: perStream) {
                try await Sandbox.run(spec, ExecRequest(.argv(argv)), runtime: runtime).exitCode == 0
            }
        case .exec(let spec, let argv):
            let box = try await Sandbox.create(spec, runtime: runtime)
            defer { Task { await box.destroy() } }
            (latencies, failures) = try await taskLoops(streams: streams, perStream: perStream) {
                try await box.exec(ExecRequest(.argv(argv))).exitCode == 0
            }
            await box.destroy()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))] * 1000
        }
        return Measurement(
            name: name, streams: streams, launches: sorted.count, failures: failures,
            perSecond: Double(sorted.count) / seconds, p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99))
    }

    /// Waits (at most `timeout` seconds) until the machine is quiet: less than `threshold` of its
    /// CPU time busy in each of four successive 50 ms windows. Work the kernel defers past a launch
    /// (network namespaces torn down by kworkers between RCU grace periods, RCU callbacks) would
    /// otherwise be charged to whichever configuration runs next. Returns whether it became quiet.
    @discardableResult
    public static func settle(threshold: Double = 0.05, timeout: Double = 5) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var previous = cpuTimes()
        var quietWindows = 0
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            let current = cpuTimes()
            let busy = current.busy - previous.busy, idle = current.idle - previous.idle
            previous = current
            quietWindows = busy + idle > 0 && Double(busy) / Double(busy + idle) < threshold ? quietWindows + 1 : 0
            if quietWindows == 4 { return true }
        }
        return false
    }

    /// Busy and idle clock ticks of all CPUs so far, from /proc/stat.
    private static func cpuTimes() -> (busy: UInt64, idle: UInt64) {
        guard let text = try? readSmallFile("/proc/stat"), let line = text.split(separator: "\n").first else { return (0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return (0, 0) }
        let idle = fields[3] + fields[4]
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7], idle)
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private static func taskLoops(
        streams: Int, perStream: Int, _ body: @escaping @Sendable () async throws -> Bool
    ) async throws -> ([Double], Int) {
        try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<streams {
                group.addTask {
                    var times: [Double] = []
                    var failed = 0
                    for _ in 0..<perStream {
                        let t = ContinuousClock.now
                        if try await body() { times.append(seconds(since: t)) } else { failed += 1 }
                    }
                    return (times, failed)
                }
            }
            return try await group.reduce(into: ([], 0)) { acc, part in
                acc.0 += part.0
                acc.1 += part.1
            }
        }
    }

    /// Worker threads that posix_spawn the command and wait for it, one launch at a time each.
    private static func spawnLoops(_ argv: [String], streams: Int, perStream: Int) -> ([Double], Int) {
        final class Job: Sendable {
            let argv: [String]
            let count: Int
            let results = Mutex<([Double], Int)>(([], 0))
            init(_ argv: [String], _ count: Int) {
                self.argv = argv
                self.count = count
            }
        }
        var threads: [pthread_t] = []
        let job = Unmanaged.passRetained(Job(argv, perStream))
        for _ in 0..<streams {
            var thread = pthread_t()
            pthread_create(&thread, nil, { arg in
                let job = Unmanaged<Job>.fromOpaque(arg!).takeUnretainedValue()
                var cArgs: [UnsafeMutablePointer<CChar>?] = job.argv.map { strdup($0) } + [nil]
                defer { for p in cArgs { free(p) } }
                var envp: [UnsafeMutablePointer<CChar>?] = [nil]
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
                defer { posix_spawn_file_actions_destroy(&actions) }
                var times: [Double] = []
                var failed = 0
                for _ in 0..<job.count {
                    let t = ContinuousClock.now
                    var pid: pid_t = 0
                    var status: Int32 = 0
                    if posix_spawn(&pid, cArgs[0]!, &actions, nil, &cArgs, &envp) == 0, waitpid(pid, &status, 0) == pid, status == 0 {
                        times.append(LaunchBenchmark.seconds(since: t))
                    } else {
                        failed += 1
                    }
                }
                job.results.withLock { r in
                    r.0 += times
                    r.1 += failed
                }
                return nil
            }, job.toOpaque())
            threads.append(thread)
        }
        for t in threads { pthread_join(t, nil) }
        let collected = job.takeUnretainedValue().results.withLock { $0 }
        job.release()
        return collected
    }
}
