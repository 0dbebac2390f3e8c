@testable import AASandbox
import CAutoAgentLinux
import Foundation
import Glibc
import Logging
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

    /// Processes in a cgroup folder.
    func members(_ dir: String) -> [Int32] {
        String(decoding: FileManager.default.contents(atPath: dir + "/cgroup.procs") ?? Data(), as: UTF8.self)
            .split(separator: "\n").compactMap { Int32($0) }
    }

    /// A runtime of its own with one idle slot.
    func oneSlotRuntime() throws -> SandboxRuntime {
        var logger = Logger(label: "lifecycle")
        logger.logLevel = .warning
        var configuration = SandboxRuntime.Configuration()
        configuration.initBinary = TestRuntime.shared.initBinary
        configuration.spawners = 1
        return try SandboxRuntime(configuration: configuration, logger: logger)
    }

    @Test func destroyLeavesNothingAndShutdownRemovesTheSlots() async throws {
        let mark = marker("destroy")
        let runtime = try oneSlotRuntime()
        let box = try await Sandbox.create(SandboxSpec(), runtime: runtime)
        _ = try await box.exec(ExecRequest(.shell("(bash -c 'exec -a \(mark) sleep 1000' &)")))
        #expect(await eventually { !hostProcesses(containing: mark).isEmpty })
        let initPID = box.initPID
        await box.destroy()
        // With its init gone the sandbox's pid namespace is empty, so its mount namespace is gone too;
        // its slot's cgroups hold nothing but the slot's idle spawner.
        #expect(hostProcesses(containing: mark).isEmpty)
        #expect(processHasEnded(initPID))
        let slots = runtime.slotDirectories
        #expect(!slots.isEmpty)
        for dir in slots { #expect(members(dir).count <= 1, "\(dir) still holds \(members(dir))") }
        runtime.shutdown()
        for dir in slots { #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) outlived the runtime") }
    }

    @Test func spawnerJoinsItsSlotCgroupsItselfAndNamesAFailedJoin() async throws {
        let runtime = TestRuntime.shared
        let box = try await Sandbox.create(SandboxSpec(), runtime: runtime)
        defer { Task { await box.destroy() } }
        // The init was born in the slot's cgroups, next to the spawner that joined them.
        let own = String(decoding: FileManager.default.contents(atPath: "/proc/\(box.initPID)/cgroup") ?? Data(), as: UTF8.self)
        let paths = own.split(separator: "\n").compactMap { $0.split(separator: ":", maxSplits: 2).last.map(String.init) }
        let slots = runtime.slotDirectories.filter { dir in paths.contains { $0.count > 1 && dir.hasSuffix($0) } }
        #expect(!slots.isEmpty, "the init is in \(paths), the slots are \(runtime.slotDirectories)")
        for dir in slots { #expect(members(dir).contains(box.initPID)) }
        await box.destroy()

        // A slot whose cgroup cannot be joined: the spawner says which step failed before it exits.
        let state = try scratchDirectory("join")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let missing = Cgroups.Group(directories: ["pids": state + "/no-such-cgroup"], version: .v1)
        let spawner = try Spawner(
            initBinary: runtime.initBinary, uidMap: "0 100000 65536\n", gidMap: "0 100000 65536\n", slot: missing,
            mounts: try HostBase.Mounts(in: state))
        defer { spawner.shutdown() }
        do {
            _ = try await spawner.create(WireMessage(AAL_M_CREATE))
            Issue.record("a spawner outside its slot created a sandbox")
        } catch let error as SandboxError {
            #expect("\(error)".contains("join slot cgroup"), "\(error)")
        }
    }

    @Test func slotsOfSandboxesWithoutTheDefaultPolicyAreNotReused() async throws {
        let runtime = try oneSlotRuntime()
        defer { runtime.shutdown() }
        // Successive sandboxes of a slot share its user namespace, and a user's keyring lives as long as
        // that namespace: a sandbox that may use keyrings must not hand its slot on.
        let script = """
            import ctypes, sys
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            if sys.argv[1] == "add":
                print("added" if libc.syscall(248, b"user", b"aa-slot-key", b"secret", 6, -4) > 0 else "failed")
            else:
                print("found" if libc.syscall(250, 10, -4, b"user", b"aa-slot-key", 0) > 0 else "missing")
            """
        var open = SandboxSpec()
        open.seccomp = .disabled
        let added = try await Sandbox.run(open, ExecRequest(.argv(["python3", "-c", script, "add"])), runtime: runtime)
        #expect(added.stdoutText == "added\n")
        let search = try await Sandbox.run(open, ExecRequest(.argv(["python3", "-c", script, "find"])), runtime: runtime)
        #expect(search.stdoutText == "missing\n", "a key of an earlier sandbox was visible")
        // Sandboxes under the default policy (no keyrings) keep their slot for the next one.
        _ = try await Sandbox.run(SandboxSpec(), ExecRequest(.argv(["true"])), runtime: runtime)
        let slots = runtime.slotDirectories
        _ = try await Sandbox.run(SandboxSpec(), ExecRequest(.argv(["true"])), runtime: runtime)
        #expect(runtime.slotDirectories == slots)
    }

    @Test func runnerKilledWithSIGKILLLeavesNothing() async throws {
        let mark = marker("sigkill")
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: TestRuntime.shared.initBinary).deletingLastPathComponent().appendingPathComponent("aa-sandbox-cli")
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

    }

    @Test func unusedHostBasesAreSweptAndUsedOnesKept() throws {
        let state = try scratchDirectory("state")
        defer { try? FileManager.default.removeItem(atPath: state) }
        for name in ["base-unused", "base-held"] {
            try FileManager.default.createDirectory(atPath: state + "/" + name + "/skeleton", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: state + "/" + name + "/ready", contents: Data()))
        }
        let held = open(state + "/base-held/ready", O_RDONLY)
        defer { close(held) }
        #expect(flock(held, LOCK_SH) == 0)
        HostBase.sweep(state, keeping: state + "/base-mine")
        #expect(!FileManager.default.fileExists(atPath: state + "/base-unused"))
        #expect(FileManager.default.fileExists(atPath: state + "/base-held/ready"))
    }

    func readParent(_ pid: Int32) -> Int32 {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return 0 }
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return 0 }
        return Int32(text[text.index(close, offsetBy: 2)...].split(separator: " ")[1]) ?? 0
    }
}
