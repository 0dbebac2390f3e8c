import AASandbox
import ArgumentParser
import Foundation

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
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
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
                if interactive { FileHandle.standardError.write(Data("\r\u{1b}[K  measuring \(name) at \(s) streams…".utf8)) }
                else { FileHandle.standardError.write(Data("measuring \(name) at \(s) streams\n".utf8)) }
                _ = try await LaunchBenchmark.measure(subject, name: name, streams: s, launches: max(s, launches / 10), runtime: runtime)
                results.append(try await LaunchBenchmark.measure(subject, name: name, streams: s, launches: launches, runtime: runtime))
            }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(results))
            FileHandle.standardOutput.write(Data("\n".utf8))
            return
        }
        print("configuration                streams  launches/s   p50 ms   p99 ms  failed")
        for r in results {
            let name = r.name.padding(toLength: 28, withPad: " ", startingAt: 0)
            print(name + String(format: " %7d %11.0f %8.2f %8.2f %7d", r.streams, r.perSecond, r.p50Milliseconds, r.p99Milliseconds, r.failures))
        }
        func find(_ name: String, _ s: Int) -> LaunchBenchmark.Measurement? { results.first { $0.name == name && $0.streams == s } }
        print("")
        let goalStreams = streamCounts.contains(2) ? 2 : streamCounts[0]
        if let lib = find("aa-sandbox library", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print(String(format: "library launches vs bwrap at %d streams: %.2fx (goal >= 2x)", goalStreams, lib.perSecond / bwrap.perSecond))
        }
        if let cli = find("aa-sandbox run (CLI)", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print(String(format: "CLI launches vs bwrap at %d streams: %.2fx (goal >= 1x)", goalStreams, cli.perSecond / bwrap.perSecond))
        }
        if let cli = find("aa-sandbox run, no cgroups", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print(String(format: "CLI without cgroup limits (as bwrap has none) vs bwrap at %d streams: %.2fx", goalStreams, cli.perSecond / bwrap.perSecond))
        }
        if let exec = find("exec into live sandbox", streamCounts[0]), let bare = find("fork+exec", streamCounts[0]) {
            print(String(format: "exec into a live sandbox vs fork+exec, p50 at %d stream(s): %.2fx (goal <= 1.5x)", streamCounts[0], exec.p50Milliseconds / bare.p50Milliseconds))
        }
    }
}
