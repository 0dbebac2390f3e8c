import AASandbox
import Benchmark
import Glibc

// Launch cost of a sandbox against its in-run baselines: bare fork+exec and bubblewrap run the
// same /bin/true in the same process. Compare the rows of one run (ratios), not across machines.

nonisolated(unsafe) private var runtime: SandboxRuntime?
nonisolated(unsafe) private var liveSandbox: Sandbox?

private func spawnAndWait(_ argv: [String]) {
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    var envp: [UnsafeMutablePointer<CChar>?] = [nil]
    var pid: pid_t = 0
    var status: Int32 = 0
    precondition(posix_spawn(&pid, cArgs[0]!, nil, nil, &cArgs, &envp) == 0, "posix_spawn \(argv[0]) failed")
    waitpid(pid, &status, 0)
    precondition(status == 0, "\(argv[0]) failed with status \(status)")
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(10), maxIterations: 1000)

    Benchmark("baseline: fork+exec /bin/true") { benchmark in
        for _ in benchmark.scaledIterations { spawnAndWait(["/bin/true"]) }
    }

    if access("/usr/bin/bwrap", X_OK) == 0 {
        Benchmark("baseline: bwrap --unshare-all /bin/true") { benchmark in
            for _ in benchmark.scaledIterations {
                spawnAndWait(["/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "/bin/true"])
            }
        }
    }

    Benchmark(
        "aa-sandbox: fresh sandbox per launch (library)",
        configuration: .init(setup: { runtime = try SandboxRuntime.shared() })
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let r = try await Sandbox.run(SandboxSpec(), ExecRequest(.argv(["/bin/true"])), runtime: runtime)
            precondition(r.exitCode == 0)
        }
    }

    Benchmark(
        "aa-sandbox: exec into a live sandbox",
        configuration: .init(
            setup: {
                runtime = try SandboxRuntime.shared()
                liveSandbox = try await Sandbox.create(SandboxSpec(), runtime: runtime)
            },
            teardown: { await liveSandbox?.destroy() })
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let r = try await liveSandbox!.exec(ExecRequest(.argv(["/bin/true"])))
            precondition(r.exitCode == 0)
        }
    }
}
