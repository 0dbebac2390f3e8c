import AASandbox
import Foundation
import Glibc
import Testing

/// Nothing is left behind: after destroy, and after the runner itself is SIGKILLed.
@Suite(.requiresRoot, .serialized) struct LifecycleTests {
    /// Cgroup folders whose name is `name`, or starts with `prefix`.
    func cgroupDirectories(named name: String? = nil, prefix: String? = nil) -> [String] {
        var found: [String] = []
        let roots = ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        for root in roots {
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            while let path = walker.nextObject() as? String {
                let last = (path as NSString).lastPathComponent
                if last == name || (prefix.map { last.hasPrefix($0) } ?? false) { found.append(root + "/" + path) }
                if path.split(separator: "/").count > 6 { walker.skipDescendants() }
            }
        }
        return found
    }

    @Test func destroyLeavesNoProcessOrCgroup() async throws {
        let mark = marker("destroy")
        let box = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        _ = try await box.exec(ExecRequest(.shell("(bash -c 'exec -a \(mark) sleep 1000' &)")))
        #expect(await eventually { !hostProcesses(containing: mark).isEmpty })
        #expect(!cgroupDirectories(named: box.name).isEmpty)
        let initPID = box.initPID
        await box.destroy()
        // With its init gone the sandbox's pid namespace is empty, so its mount namespace is gone too.
        #expect(hostProcesses(containing: mark).isEmpty)
        #expect(kill(initPID, 0) != 0)
        #expect(cgroupDirectories(named: box.name).isEmpty)
    }

    @Test func runnerKilledWithSIGKILLLeavesNothing() async throws {
        let mark = marker("sigkill")
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: TestRuntime.shared.initBinary).deletingLastPathComponent().appendingPathComponent("aa-sandbox")
        cli.arguments = ["run", "--", "/bin/bash", "-c", "(setsid bash -c 'exec -a \(mark)-daemon sleep 1000' &); exec -a \(mark) sleep 1000"]
        cli.standardOutput = FileHandle.nullDevice
        cli.standardError = FileHandle.nullDevice
        try cli.run()
        let pid = cli.processIdentifier
        #expect(await eventually(10) { hostProcesses(containing: mark).count >= 2 })
        #expect(!cgroupDirectories(prefix: "aa-\(pid)-").isEmpty)
        kill(pid, SIGKILL)
        cli.waitUntilExit()
        #expect(await eventually(10) { hostProcesses(containing: mark).isEmpty }, "sandbox processes outlived their runner")
        #expect(await eventually(10) { cgroupDirectories(prefix: "aa-\(pid)-").isEmpty }, "cgroups outlived their runner")
        #expect(hostProcesses(containing: "aa-sandbox-init spawner").allSatisfy { readParent($0) != pid })

        // The runner's own state folder is swept by the next runtime that starts.
        let state = "/run/aa-sandbox/base-\(pid)"
        #expect(FileManager.default.fileExists(atPath: state))
        let next = Process()
        next.executableURL = cli.executableURL
        next.arguments = ["run", "--", "/bin/true"]
        next.standardError = FileHandle.nullDevice
        try next.run()
        next.waitUntilExit()
        #expect(next.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    func readParent(_ pid: Int32) -> Int32 {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return 0 }
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return 0 }
        return Int32(text[text.index(close, offsetBy: 2)...].split(separator: " ")[1]) ?? 0
    }
}
