import AASandbox
import Foundation
import Glibc
import Logging
import Testing

extension Trait where Self == ConditionTrait {
    /// The runtime maps root inside to an unprivileged range, which needs root outside.
    static var requiresRoot: Self {
        .enabled(if: geteuid() == 0, "the sandbox runtime needs root")
    }
}

/// One runtime for the whole test process, as `aa run` has.
enum TestRuntime {
    static let shared: SandboxRuntime = {
        var logger = Logger(label: "aa.sandbox.tests")
        logger.logLevel = .warning
        var configuration = SandboxRuntime.Configuration()
        configuration.initBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/aa-sandbox-init"
        return try! SandboxRuntime(configuration: configuration, logger: logger)
    }()
}

/// Runs a shell command in a fresh sandbox.
func sh(_ script: String, spec: SandboxSpec = SandboxSpec(), timeout: Double? = 30, stdin: [UInt8]? = nil) async throws -> ExecResult {
    try await Sandbox.run(spec, ExecRequest(.shell(script), stdin: stdin, timeoutSeconds: timeout), runtime: TestRuntime.shared)
}

/// A string no other test or process uses, to find traces of a test on the host.
func marker(_ name: String) -> String {
    "aa-test-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

/// Host processes whose command line contains text.
func hostProcesses(containing text: String) -> [Int32] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return names.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

/// Waits until a condition holds or the time is up.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A scratch directory on the host, removed by the caller.
func scratchDirectory(_ name: String) throws -> String {
    let path = "/var/tmp/\(marker(name))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Whether a host process has ended: gone, or a zombie (exited, everything it held released, its
/// exit status not yet collected by its parent).
func processHasEnded(_ pid: Int32) -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return true }
    let text = String(decoding: data, as: UTF8.self)
    guard let close = text.lastIndex(of: ")") else { return true }
    return text[text.index(close, offsetBy: 2)...].hasPrefix("Z")
}
