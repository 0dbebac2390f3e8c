import AASandbox
import ArgumentParser
import FoundationEssentials
import Glibc

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, from inside a sandbox, which isolation is in force.",
        discussion: """
            Runs a probe inside a sandbox built from the same options as `run`: it tries mounts, namespace \
            creation, ptrace, keyrings, bpf, perf, io_uring, vsock, terminal injection, 32-bit syscalls, \
            /proc and /sys writes, network egress and more, and reads its own credentials. Namespaces are \
            compared with this process's. Exits 1 if anything that should be blocked was allowed.
            """
    )

    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Print the checks as JSON.")
    var json = false

    /// One probe line.
    struct Check: Encodable {
        var name: String
        var verdict: String
        var detail: String
        var ok: Bool
    }

    mutating func run() async throws {
        var spec = try sandbox.spec(relativeTo: currentDirectory())
        let runtime = try openRuntime(for: spec)
        defer { runtime.shutdown() }
        let probePath = "/run/aa-sandbox-probe"
        spec.mounts.append(.bind(source: runtime.initBinary, destination: probePath, readOnly: true))
        let result: ExecResult
        do {
            result = try await Sandbox.run(spec, ExecRequest(.argv([probePath, "probe"]), timeoutSeconds: 60), runtime: runtime)
        } catch {
            throw report(error)
        }
        var checks: [Check] = []
        for line in result.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { continue }
            checks.append(Check(name: parts[0], verdict: parts[1], detail: parts[2], ok: Self.acceptable(parts[0], parts[1], parts[2], spec: spec)))
        }
        if checks.isEmpty {
            writeErr("aa-sandbox: the probe printed nothing (exit \(result.shellStatus)): \(result.stderrText)\n")
            throw ExitCode(125)
        }
        let failures = checks.filter { !$0.ok }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeAll(1, Array(try encoder.encode(checks)) + [0x0a])
        } else {
            let width = checks.map(\.name.count).max() ?? 10
            for c in checks {
                let mark = c.ok ? (c.verdict == "info" ? "   " : " ok") : "!! "
                print("\(mark) \(padded(c.name, width))  \(padded(c.verdict, 7))  \(c.detail)")
            }
            print(failures.isEmpty
                ? "\n\(checks.count) checks: all isolation in force."
                : "\n\(checks.count) checks: \(failures.count) weaker than the default policy: \(failures.map(\.name).joined(separator: ", "))")
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    /// Whether a probe line shows the isolation the spec asks for.
    static func acceptable(_ name: String, _ verdict: String, _ detail: String, spec: SandboxSpec) -> Bool {
        if name.hasPrefix("ns.") {
            let kind = String(name.dropFirst(3))
            var buf = [CChar](repeating: 0, count: 256)
            let n = readlink("/proc/self/ns/\(kind)", &buf, 255)
            let host = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            if kind == "net" && spec.network == .host { return true }
            return detail != host
        }
        switch name {
        case "CapEff", "CapPrm", "CapBnd":
            let mask = spec.capabilities.reduce(UInt64(0)) { $0 | (1 << UInt64($1.rawValue)) }
            return UInt64(detail, radix: 16) == mask
        case "CapAmb": return detail == "0000000000000000"
        case "NoNewPrivs": return detail == "1"
        case "Seccomp": return spec.seccomp == .disabled || detail == "2"
        case "uid_map": return !detail.split(separator: " ").starts(with: ["0", "0"])
        case "net.egress", "net.metadata": return spec.network == .host || verdict == "blocked"
        default: break
        }
        if verdict == "info" { return true }
        if spec.seccomp == .disabled { return true }
        return verdict == "blocked"
    }
}
