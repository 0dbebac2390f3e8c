import AASandbox
import ArgumentParser
import FoundationEssentials
import Glibc

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare sandbox launch throughput against fork+exec, unshare and bubblewrap.",
        discussion: """
            Launches /bin/true the given number of times at each stream count with: bare fork+exec, \
            unshare with all namespaces, bwrap --unshare-all (when installed), aa-sandbox through the library \
            (a fresh sandbox per launch, full default policy and limits), the aa-sandbox CLI as a whole process, \
            and exec into one live sandbox. Prints launches/s, p50 and p99, and the goal ratios measured in this run.
            """
    )

    @Option(help: "Launches per configuration and stream count.")
    var launches = 200

    @Option(help: "Comma-separated stream counts.")
    var streams = "1,2,8"

    @Option(help: ArgumentHelp("Only these configurations: fork, unshare, bwrap, library, cli, cli-nolimits, exec.", valueName: "list"))
    var only: String?

    @Flag(help: "Print the measurements as JSON.")
    var json = false

    mutating func run() async throws {
        let streamCounts = streams.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !streamCounts.isEmpty else { throw ValidationError("--streams wants numbers like 1,2,8") }
        let runtime = try openRuntime(slots: max(2, streamCounts.max() ?? 2))
        defer { runtime.shutdown() }
        let me = realpath(CommandLine.arguments[0], nil).map { p in defer { free(p) }; return String(cString: p) } ?? CommandLine.arguments[0]
        let truePath = "/bin/true"
        var subjects: [(String, String, LaunchBenchmark.Subject)] = [
            ("fork", "fork+exec", .process([truePath])),
            ("unshare", "unshare (all namespaces)", .process(["/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", truePath])),
        ]
        if access("/usr/bin/bwrap", X_OK) == 0 {
            subjects.append(("bwrap", "bwrap --unshare-all", .process(["/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", truePath])))
        }
        subjects.append(("library", "aa-sandbox library", .sandbox(SandboxSpec(), [truePath])))
        subjects.append(("cli", "aa-sandbox run (CLI)", .process([me, "run", "--", truePath])))
        subjects.append(("cli-nolimits", "aa-sandbox run, no cgroups", .process([me, "run", "--memory", "none", "--pids", "none", "--", truePath])))
        subjects.append(("exec", "exec into live sandbox", .exec(SandboxSpec(), [truePath])))
        if let only {
            let wanted = Set(only.split(separator: ",").map { String($0) })
            let known = Set(subjects.map(\.0))
            guard wanted.isSubset(of: known) else { throw ValidationError("--only takes \(known.sorted().joined(separator: ", "))") }
            subjects.removeAll { !wanted.contains($0.0) }
        }

        var results: [LaunchBenchmark.Measurement] = []
        let interactive = isatty(2) != 0
        for s in streamCounts {
            for (_, name, subject) in subjects {
                writeErr(interactive ? "\r\u{1b}[K  measuring \(name) at \(s) streams…" : "measuring \(name) at \(s) streams\n")
                _ = try await LaunchBenchmark.measure(subject, name: name, streams: s, launches: max(s, launches / 10), runtime: runtime)
                results.append(try await LaunchBenchmark.measure(subject, name: name, streams: s, launches: launches, runtime: runtime))
            }
        }
        if interactive { writeErr("\r\u{1b}[K") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeAll(1, Array(try encoder.encode(results)) + [0x0a])
            return
        }
        print("configuration                streams  launches/s   p50 ms   p99 ms  failed")
        for r in results {
            print(padded(r.name, 28) + " " + padded(String(r.streams), 7, left: true) + " " + formatted(r.perSecond, decimals: 0, width: 11)
                + " " + formatted(r.p50Milliseconds, decimals: 2, width: 8) + " " + formatted(r.p99Milliseconds, decimals: 2, width: 8)
                + " " + padded(String(r.failures), 7, left: true))
        }
        func find(_ name: String, _ s: Int) -> LaunchBenchmark.Measurement? { results.first { $0.name == name && $0.streams == s } }
        print("")
        let goalStreams = streamCounts.contains(2) ? 2 : streamCounts[0]
        if let lib = find("aa-sandbox library", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print("library launches vs bwrap at \(goalStreams) streams: \(formatted(lib.perSecond / bwrap.perSecond, decimals: 2))x (goal >= 2x)")
        }
        if let cli = find("aa-sandbox run (CLI)", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print("CLI launches vs bwrap at \(goalStreams) streams: \(formatted(cli.perSecond / bwrap.perSecond, decimals: 2))x (goal >= 1x)")
        }
        if let cli = find("aa-sandbox run, no cgroups", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print("CLI without cgroup limits (as bwrap has none) vs bwrap at \(goalStreams) streams: \(formatted(cli.perSecond / bwrap.perSecond, decimals: 2))x")
        }
        if let exec = find("exec into live sandbox", streamCounts[0]), let bare = find("fork+exec", streamCounts[0]) {
            print("exec into a live sandbox vs fork+exec, p50 at \(streamCounts[0]) stream(s): \(formatted(exec.p50Milliseconds / bare.p50Milliseconds, decimals: 2))x (goal <= 1.5x)")
        }
    }
}
