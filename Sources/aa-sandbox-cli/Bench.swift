import AASandbox
import ArgumentParser
import CAutoAgentFrontEnd
import FoundationEssentials
import Glibc

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare sandbox launch throughput against fork+exec, unshare and bubblewrap.",
        discussion: """
            Launches /bin/true the given number of times at each stream count with: bare fork+exec, \
            unshare with all namespaces, bwrap --unshare-all (when installed), aa-sandbox through the library \
            (a fresh sandbox per launch, full default policy and limits), the aa-sandbox CLI as a whole process \
            (the front end with the runtime server running; a server is started for the bench and stopped after \
            when none runs), the Swift CLI alone without a server (a cold launch, what AA_SANDBOX_SERVER=0 runs), \
            and exec into one live sandbox. Prints launches/s, p50 and p99, and the goal ratios measured in this run. \
            Launched processes get an empty environment, so the CLI uses the default state folder.
            """
    )

    @Option(help: "Launches per configuration and stream count.")
    var launches = 200

    @Option(help: "Comma-separated stream counts.")
    var streams = "1,2,8"

    @Option(help: ArgumentHelp("Only these configurations: fork, unshare, bwrap, library, cli, cli-nolimits, cli-cold, exec.", valueName: "list"))
    var only: String?

    @Flag(help: "Print the measurements as JSON.")
    var json = false

    mutating func run() async throws {
        let streamCounts = streams.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !streamCounts.isEmpty else { throw ValidationError("--streams wants numbers like 1,2,8") }
        let runtime = try openRuntime(slots: max(2, streamCounts.max() ?? 2))
        defer { runtime.shutdown() }
        let cli = executablePath()
        let frontEnd = cli.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/aa-sandbox"
        let truePath = "/bin/true"
        var subjects: [(String, String, LaunchBenchmark.Subject)] = [
            ("fork", "fork+exec", .process([truePath])),
            ("unshare", "unshare (all namespaces)", .process(["/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", truePath])),
        ]
        if access("/usr/bin/bwrap", X_OK) == 0 {
            subjects.append(("bwrap", "bwrap --unshare-all", .process(["/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", truePath])))
        }
        subjects.append(("library", "aa-sandbox library", .sandbox(SandboxSpec(), [truePath])))
        subjects.append(("cli", "aa-sandbox run (CLI)", .process([frontEnd, "run", "--", truePath])))
        subjects.append(("cli-nolimits", "aa-sandbox run, no limits", .process([frontEnd, "run", "--memory", "none", "--pids", "none", "--", truePath])))
        subjects.append(("cli-cold", "aa-sandbox-cli run, cold", .process([cli, "run", "--", truePath])))
        subjects.append(("exec", "exec into live sandbox", .exec(SandboxSpec(), [truePath])))
        if let only {
            let wanted = Set(only.split(separator: ",").map { String($0) })
            let known = Set(subjects.map(\.0))
            guard wanted.isSubset(of: known) else { throw ValidationError("--only takes \(known.sorted().joined(separator: ", "))") }
            subjects.removeAll { !wanted.contains($0.0) }
        }

        let interactive = isatty(2) != 0
        var server: BenchServer?
        if subjects.contains(where: { $0.0 == "cli" || $0.0 == "cli-nolimits" }) {
            server = try BenchServer(frontEnd: frontEnd)
        }
        defer { server?.stopIfStarted() }
        var results: [LaunchBenchmark.Measurement] = []
        var warnedBusy = false
        for s in streamCounts {
            for (_, name, subject) in subjects {
                writeErr(interactive ? "\r\u{1b}[K  measuring \(name) at \(s) streams…" : "measuring \(name) at \(s) streams\n")
                // The previous configuration's deferred kernel work is not this one's.
                if await !LaunchBenchmark.settle(), !warnedBusy {
                    writeErr("aa-sandbox bench: the machine is busy (not quiet within 5 s); the figures will be noisy\n")
                    warnedBusy = true
                }
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
        if let server {
            print("aa-sandbox run: the front end with the runtime server running (pid \(server.pid), \(server.started ? "started for this bench" : "already running"))")
        }
        if subjects.contains(where: { $0.0 == "cli-cold" }) {
            print("aa-sandbox-cli run, cold: the Swift CLI without a server (what AA_SANDBOX_SERVER=0 runs)")
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
        if let cli = find("aa-sandbox run, no limits", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print("CLI without memory and pids limits (as bwrap has none) vs bwrap at \(goalStreams) streams: \(formatted(cli.perSecond / bwrap.perSecond, decimals: 2))x")
        }
        if let cold = find("aa-sandbox-cli run, cold", goalStreams), let bwrap = find("bwrap --unshare-all", goalStreams) {
            print("cold CLI (no server) vs bwrap at \(goalStreams) streams: \(formatted(cold.perSecond / bwrap.perSecond, decimals: 2))x")
        }
        if let exec = find("exec into live sandbox", streamCounts[0]), let bare = find("fork+exec", streamCounts[0]) {
            print("exec into a live sandbox vs fork+exec, p50 at \(streamCounts[0]) stream(s): \(formatted(exec.p50Milliseconds / bare.p50Milliseconds, decimals: 2))x (goal <= 1.5x)")
        }
    }
}

/// The runtime server the bench's CLI launches use (the default state folder's): the one running,
/// or one the front end starts for the bench, stopped when the bench ends.
struct BenchServer {
    let pid: String
    let started: Bool
    private let paths = ServerPaths(stateDirectory: AAF_DEFAULT_STATE)

    init(frontEnd: String) throws {
        if let pid = Self.runningPID(paths) {
            self.pid = pid
            started = false
            return
        }
        // A first launch through the front end starts the server in the background.
        let words: [String] = [frontEnd, "run", "--", "/bin/true"]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        var child: pid_t = 0
        var status: Int32 = 0
        guard posix_spawn(&child, argv[0]!, nil, nil, &argv, &envp) == 0, waitpid(child, &status, 0) == child, status == 0 else {
            throw ValidationError("cannot launch \(frontEnd) run -- /bin/true")
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let pid = Self.runningPID(paths) {
                self.pid = pid
                started = true
                return
            }
            usleep(20_000)
        }
        throw ValidationError("the runtime server did not start within 30 s; see \(paths.log)")
    }

    func stopIfStarted() {
        guard started, let connection = ServerConnection(socket: paths.socket) else { return }
        if connection.ask(FrontEndMessage(AAF_M_STOP)) != nil { _ = waitForLock(paths.lock, seconds: 60) }
    }

    private static func runningPID(_ paths: ServerPaths) -> String? {
        guard let connection = ServerConnection(socket: paths.socket), let reply = connection.ask(FrontEndMessage(AAF_M_STATUS)) else { return nil }
        return reply.string(AAF_K_PID)
    }
}
