import AASandbox
import Foundation
import Glibc
import Testing

/// The exec contract: status, signals, output capture, stdin, timeouts, concurrency.
@Suite(.requiresRoot) struct ExecTests {
    @Test func exitStatusAndSignalPassThrough() async throws {
        let exited = try await sh("exit 7")
        #expect(exited.exitCode == 7)
        #expect(exited.signal == nil)
        let killed = try await sh("kill -9 $$")
        #expect(killed.exitCode == nil)
        #expect(killed.signal == SIGKILL)
        #expect(killed.shellStatus == 137)
    }

    @Test func outputIsCappedButCounted() async throws {
        var spec = SandboxSpec()
        spec.limits.outputBytes = 1000
        let r = try await sh("head -c 5000000 /dev/zero; echo err >&2", spec: spec)
        #expect(r.stdout.count == 1000)
        #expect(r.stdoutBytes == 5_000_000)
        #expect(r.stdoutTruncated)
        #expect(r.stderrText == "err\n")
        #expect(!r.stderrTruncated)
    }

    @Test func invalidUTF8AndControlBytesArriveUnchanged() async throws {
        let r = try await sh(#"printf '\377\376\033[2J\000end'"#)
        #expect(r.stdout == [0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x00, 0x65, 0x6e, 0x64])
    }

    @Test func stdinIsDelivered() async throws {
        let input = Array((0..<200_000).map { UInt8(truncatingIfNeeded: $0) })
        let r = try await sh("cat", stdin: input)
        #expect(r.stdout.count == 200_000)
        #expect(r.stdoutBytes == input.count)
        let none = try await sh("cat; echo done")
        #expect(none.stdoutText == "done\n")
    }

    @Test func timeoutKillsTheCommand() async throws {
        let start = ContinuousClock.now
        let r = try await sh("sleep 30", timeout: 0.5)
        #expect(r.timedOut)
        #expect(r.signal == SIGKILL)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func commandNotFoundIsAnExecError() async throws {
        await #expect(throws: SandboxError.self) {
            try await Sandbox.run(SandboxSpec(), ExecRequest(.argv(["/no/such/program"])), runtime: TestRuntime.shared)
        }
    }

    @Test func manyExecsInOneSandboxAndManySandboxes() async throws {
        let box = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<20 {
                group.addTask { try await box.exec(ExecRequest(.shell("echo \(i) > /tmp/\(i); cat /tmp/\(i)"))).stdoutText }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await box.destroy()
        #expect(Set(outputs) == Set((0..<20).map { "\($0)\n" }))

        let hostnames = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<8 {
                group.addTask {
                    var spec = SandboxSpec()
                    spec.hostname = "box\(i)"
                    return try await sh("hostname", spec: spec).stdoutText
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(hostnames) == Set((0..<8).map { "box\($0)\n" }))
    }

    @Test func stateLivesAsLongAsTheSandbox() async throws {
        let box = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        _ = try await box.exec(ExecRequest(.shell("mkdir -p /work && echo kept > /work/file")))
        let r = try await box.exec(ExecRequest(.shell("cat /work/file"), workingDirectory: "/work"))
        #expect(r.stdoutText == "kept\n")
        await box.destroy()
        await #expect(throws: SandboxError.self) { try await box.exec(ExecRequest(.shell("true"))) }
    }

    @Test func invalidSpecsNameTheField() async throws {
        var spec = SandboxSpec()
        spec.mounts = [.bind(source: "relative", destination: "/x", readOnly: true)]
        #expect(throws: SandboxError.self) { try spec.validate() }
        do {
            try spec.validate()
        } catch {
            #expect(error.step == "mounts[0].source")
        }
        spec = SandboxSpec()
        spec.limits.memoryBytes = 1024
        do {
            try spec.validate()
            Issue.record("a 1 KiB memory limit was accepted")
        } catch {
            #expect(error.step == "limits.memoryBytes")
        }
    }
}

@Suite(.requiresRoot) struct DestroyTests {
    @Test func destroyIsIdempotentAndConcurrent() async throws {
        var spec = SandboxSpec()
        spec.limits.wallTimeSeconds = 0.3
        let box = try await Sandbox.create(spec, runtime: TestRuntime.shared)
        let r = try await box.exec(ExecRequest(.shell("sleep 10")))
        #expect(r.timedOut)
        await box.destroy()
        await box.destroy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await box.destroy() } }
        }
        #expect(processHasEnded(box.initPID))
    }
}
