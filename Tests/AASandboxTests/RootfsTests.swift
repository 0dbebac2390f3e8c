import AASandbox
import Foundation
import Glibc
import Testing

/// Root filesystems: a user directory, image layers, persistent writable layers, seccomp profiles.
@Suite(.requiresRoot) struct RootfsTests {
    @Test func anyDirectoryCanBeTheRootfs() async throws {
        let rootfs = try scratchDirectory("rootfs")
        defer { try? FileManager.default.removeItem(atPath: rootfs) }
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestRuntime.shared.initBinary, toPath: rootfs + "/bin/probe")
        var spec = SandboxSpec(rootfs: .directory(rootfs))
        spec.environment = ["PATH=/bin"]
        spec.workingDirectory = "/"
        let r = try await Sandbox.run(spec, ExecRequest(.argv(["probe", "probe"])), runtime: TestRuntime.shared)
        #expect(r.exitCode == 0)
        #expect(r.stdoutText.contains("mount\tblocked"))
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/tmp"), "writes must go to the writable layer")
    }

    @Test func writableLayerPersistsAndStacksAsALayer() async throws {
        let dir = try scratchDirectory("layers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var build = SandboxSpec()
        build.writableLayer = .directory(dir + "/one")
        let built = try await sh("mkdir -p /app && echo hi > /app/greeting && echo tool > /usr/local/bin/aa-tool && rm /etc/hostname && echo ok", spec: build)
        #expect(built.stdoutText == "ok\n")
        let copied = TestRuntime.shared.hostPath(inLayer: dir + "/one", forInside: "/app/copied", rootfs: .host)
        try "from the host\n".write(toFile: copied, atomically: false, encoding: .utf8)
        let root = TestRuntime.shared.hostID(forInside: 0)
        chown(copied, root, root)

        var use = SandboxSpec()
        use.layers = [dir + "/one"]
        let r = try await sh("cat /app/greeting /usr/local/bin/aa-tool /app/copied; ls /etc/hostname 2>&1; stat -c %u /app/copied", spec: use)
        #expect(r.stdoutText.contains("hi\ntool\nfrom the host\n"))
        #expect(r.stdoutText.contains("No such file"))
        #expect(r.stdoutText.hasSuffix("0\n"))
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname"))
        let plain = try await sh("ls /app 2>&1")
        #expect(plain.stdoutText.contains("No such file"))
    }

    @Test func keptCapabilitiesActOnlyInsideTheSandbox() async throws {
        let script = "useradd -m builder 2>&1 && chown builder /tmp && stat -c %U /tmp; mount -t tmpfs x /mnt 2>&1; grep CapEff /proc/self/status"
        var spec = SandboxSpec()
        spec.capabilities = SandboxSpec.Capability.dockerDefault
        let with = try await sh(script, spec: spec)
        #expect(with.stdoutText.contains("builder\n"), "\(with.stdoutText)")
        #expect(with.stdoutText.contains("mount") && with.stdoutText.contains("denied"), "mounting stays impossible: \(with.stdoutText)")
        #expect(with.stdoutText.contains("CapEff:\t00000000a80425fb"))
        let without = try await sh(script)
        #expect(!without.stdoutText.contains("builder\n"), "no capabilities by default: \(without.stdoutText)")
        #expect(without.stdoutText.contains("CapEff:\t0000000000000000"))
        #expect(SandboxSpec.Capability(name: "CAP_DAC_OVERRIDE") == .dacOverride)
        #expect(SandboxSpec.Capability(name: "net_bind_service") == .netBindService)
        #expect(SandboxSpec.Capability(name: "SYS_ADMIN") == nil)
        #expect(SandboxSpec.Capability.dacOverride.name == "DAC_OVERRIDE")
        #expect(try SandboxSpec.Capability.parse(["docker", "dac_read_search"], option: "--cap-add").count == 15)
        #expect(throws: SandboxError.self) { try SandboxSpec.Capability.parse(["sys_admin"], option: "--cap-add") }
    }

    @Test func userSeccompProfilesApplyAndBadOnesAreNamed() async throws {
        let dir = try scratchDirectory("seccomp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profile = dir + "/profile.json"
        try """
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
            """.write(toFile: profile, atomically: true, encoding: .utf8)
        var spec = SandboxSpec()
        spec.seccomp = .profile(path: profile)
        let r = try await sh("mkdir /tmp/x 2>&1; touch /tmp/y && echo touched", spec: spec)
        #expect(r.stdoutText.contains("Operation not permitted"))
        #expect(r.stdoutText.contains("touched"))

        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        do {
            _ = try await sh("true", spec: spec)
            Issue.record("an unknown action was accepted")
        } catch let error as SandboxError {
            #expect(error.detail.contains(profile))
            #expect(error.detail.contains("syscalls[0].action"))
        }
    }
}
