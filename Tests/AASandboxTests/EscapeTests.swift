import AASandbox
import Foundation
import Glibc
import Testing

/// Black-box escape and robustness suite: each test does what a hostile or broken task would do
/// and checks the outcome from outside the sandbox.
@Suite(.requiresRoot) struct EscapeTests {
    /// The in-sandbox probe: every dangerous call blocked, no capabilities, own namespaces.
    @Test func probeFindsEverythingBlocked() async throws {
        var spec = SandboxSpec()
        spec.mounts = [.bind(source: TestRuntime.shared.initBinary, destination: "/run/probe", readOnly: true)]
        let r = try await Sandbox.run(spec, ExecRequest(.argv(["/run/probe", "probe"]), timeoutSeconds: 60), runtime: TestRuntime.shared)
        var checks: [String: (String, String)] = [:]
        for line in r.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            if parts.count == 3 { checks[parts[0]] = (parts[1], parts[2]) }
        }
        #expect(checks.count > 50)
        for (name, (verdict, detail)) in checks where verdict != "info" {
            #expect(verdict == "blocked", "\(name): \(verdict) \(detail)")
        }
        for cap in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] { #expect(checks[cap]?.1 == "0000000000000000") }
        #expect(checks["NoNewPrivs"]?.1 == "1")
        #expect(checks["Seccomp"]?.1 == "2")
        #expect(checks["clone3"]?.1.contains("errno 38") == true, "clone3 must answer ENOSYS")
        #expect(checks["syscall.unknown"]?.1.contains("errno 38") == true, "unknown syscalls must answer ENOSYS")
        #expect(checks["keyctl"]?.1.contains("errno 1)") == true, "known forbidden syscalls answer EPERM")
        #expect(checks["abi.i386"]?.1.contains("signal 31") == true)
        for kind in ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"] {
            let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")
            #expect(checks["ns.\(kind)"]?.1 != host, "\(kind) namespace is the host's")
        }
        let map = checks["uid_map"]?.1.split(separator: " ") ?? []
        #expect(map.count == 3 && map[1] != "0", "root inside must not be host root: \(map)")
    }

    @Test func writesNeverLeaveTheRootfs() async throws {
        let mark = marker("write")
        let script = """
            ln -s / /tmp/hostroot; echo x > /tmp/hostroot/etc/\(mark)
            echo x > /proc/self/root/etc/\(mark)-2; echo x > /proc/1/root/\(mark)-3 2>/dev/null
            cd /proc/1/cwd 2>/dev/null && echo x > \(mark)-4
            ln /etc/passwd /tmp/\(mark)-hard 2>/dev/null; echo pwned >> /tmp/\(mark)-hard
            echo x > /usr/\(mark)-5; echo x > /\(mark)-6; rm -rf /usr/share/doc
            ls /usr/share/doc >/dev/null 2>&1 || echo gone
            """
        let r = try await sh(script)
        #expect(r.stdoutText.contains("gone"))
        for dir in ["/etc", "/", "/usr", "/tmp", "/root", "/var/tmp"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            #expect(!names.contains { $0.contains(mark) }, "\(dir) holds a file written from inside")
        }
        #expect(!(String(decoding: FileManager.default.contents(atPath: "/etc/passwd") ?? Data(), as: UTF8.self)).contains("pwned"))
        #expect(FileManager.default.fileExists(atPath: "/usr/share/doc"))
    }

    @Test func hostSecretsAreInvisible() async throws {
        setenv("AA_TEST_SECRET", "hunter2", 1)
        let cwd = FileManager.default.currentDirectoryPath
        let r = try await sh("""
            env; ls -A /root /home; cat /etc/shadow /etc/gshadow 2>&1; ls \(cwd) 2>&1; ls /run/aa-sandbox 2>&1
            ls /var/lib | tr '\\n' ' '; cat /proc/1/environ 2>&1 | tr '\\0' ' '; tr '\\0' ' ' < /proc/1/cmdline
            """)
        #expect(!r.stdoutText.contains("hunter2"))
        #expect(r.stdoutText.contains("/etc/shadow: No such file"))
        #expect(!r.stdoutText.contains("Package.swift"), "the project checkout is visible")
        #expect(r.stdoutText.contains("/run/aa-sandbox': No such file"))
        #expect(!r.stdoutText.contains("cgroup:") && !r.stdoutText.contains("idmap:"), "the init's command line names host paths")
        #expect(!r.stdoutText.contains("postgresql"), "\(r.stdoutText)")
    }

    @Test func setuidBinariesDoNotRaisePrivileges() async throws {
        var spec = SandboxSpec()
        spec.uid = 1000
        spec.gid = 1000
        let box = try await Sandbox.create(spec, runtime: TestRuntime.shared)
        defer { Task { await box.destroy() } }
        _ = try await box.exec(ExecRequest(.shell("cp /usr/bin/id /tmp/id && chmod 4755 /tmp/id"), uid: 0, gid: 0))
        let r = try await box.exec(ExecRequest(.shell("/tmp/id -u; ls -l /tmp/id")))
        #expect(r.stdoutText.hasPrefix("1000\n"), "setuid copy ran as \(r.stdoutText)")
        let su = try await box.exec(ExecRequest(.shell("su -c 'id -u' root </dev/null 2>&1; echo status=$?")))
        #expect(!su.stdoutText.hasPrefix("0\n"))
        await box.destroy()
    }

    @Test func networkIsLoopbackOnlyUnlessAskedFor() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        listen(listener, 16)
        let port = UInt16(bigEndian: addr.sin_port)
        let probe = "python3 -c \"import socket; s=socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', \(port))); print('connected')\" 2>&1"
        let isolated = try await sh(probe)
        #expect(!isolated.stdoutText.contains("connected"))
        var hostSpec = SandboxSpec()
        hostSpec.network = .host
        let shared = try await sh(probe, spec: hostSpec)
        #expect(shared.stdoutText.contains("connected"))
        let interfaces = try await sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
        #expect(interfaces.stdoutText == "lo\n")
    }

    @Test func concurrentSandboxesCannotReachEachOther() async throws {
        let listener = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        let other = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        _ = try await listener.exec(ExecRequest(.shell("(python3 -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 &); sleep 1")))
        let local = try await listener.exec(ExecRequest(.shell("python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8765/').status)\" 2>&1")))
        let remote = try await other.exec(ExecRequest(.shell("python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8765/').status)\" 2>&1")))
        await listener.destroy()
        await other.destroy()
        #expect(local.stdoutText == "200\n")
        #expect(remote.stdoutText.contains("Connection refused"), "\(remote.stdoutText)")
    }

    @Test func forkBombHitsThePidsLimit() async throws {
        var spec = SandboxSpec()
        spec.limits.pids = 64
        spec.limits.processes = nil
        let r = try await sh("for i in $(seq 200); do sleep 5 & done 2>&1 | head -3; echo spawned $(ls /proc | grep -c '^[0-9]')", spec: spec, timeout: 20)
        let count = Int(r.stdoutText.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 999
        #expect(count <= 64, "\(r.stdoutText)")
        #expect(r.stdoutText.contains("fork") || r.stderrText.contains("fork") || r.stdoutText.contains("Resource temporarily unavailable"))
        let bomb = try await sh(":(){ :|:& };: ; sleep 1; echo survived", spec: spec, timeout: 5)
        #expect(bomb.exitCode != nil || bomb.timedOut)
    }

    @Test func memoryBombIsKilledInsideOnly() async throws {
        var spec = SandboxSpec()
        spec.limits.memoryBytes = 64 << 20
        let r = try await sh("python3 -c 'a = bytearray(512 << 20); print(len(a))'", spec: spec)
        #expect(r.exitCode != 0)
        #expect(r.signal == SIGKILL || r.oomKilled || r.stderrText.contains("MemoryError"), "\(r.exitCode as Any) \(r.signal as Any) \(r.stderrText)")
        let after = try await sh("echo alive")
        #expect(after.stdoutText == "alive\n")
    }

    @Test func diskFillStopsAtTheWritableLayerSize() async throws {
        var spec = SandboxSpec()
        spec.limits.diskBytes = 16 << 20
        spec.limits.memoryBytes = 512 << 20
        let r = try await sh("dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; ls -l /tmp/fill | awk '{print $5}'", spec: spec)
        #expect(r.stdoutText.contains("No space left"))
        let size = Int(r.stdoutText.split(separator: "\n").last ?? "") ?? Int.max
        #expect(size <= 16 << 20)
        let inodes = try await sh("mkdir /tmp/many && cd /tmp/many && i=0; while [ $i -lt 100 ]; do : > f$i; i=$((i+1)); done; ls | wc -l", spec: spec)
        #expect(inodes.stdoutText == "100\n")
    }

    @Test func fileDescriptorLimitHolds() async throws {
        var spec = SandboxSpec()
        spec.limits.openFiles = 64
        let r = try await sh("python3 -c \"fds=[open('/dev/null') for _ in range(1000)]\" 2>&1", spec: spec)
        #expect(r.stdoutText.contains("Too many open files"))
    }

    @Test func cpuBurnAndWallClockOverrunAreKilledWithDaemons() async throws {
        let mark = marker("daemon")
        var spec = SandboxSpec()
        spec.limits.wallTimeSeconds = 1
        let box = try await Sandbox.create(spec, runtime: TestRuntime.shared)
        let start = ContinuousClock.now
        let r = try await box.exec(ExecRequest(.shell("(setsid bash -c 'exec -a \(mark) sleep 1000' &); (trap '' TERM; while :; do :; done)")))
        #expect(r.timedOut)
        #expect(ContinuousClock.now - start < .seconds(10))
        await box.destroy()
        #expect(await eventually { hostProcesses(containing: mark).isEmpty })
        #expect(processHasEnded(box.initPID))
    }

    @Test func killAllRemovesDaemonsButKeepsTheSandbox() async throws {
        let mark = marker("killall")
        let box = try await Sandbox.create(SandboxSpec(), runtime: TestRuntime.shared)
        _ = try await box.exec(ExecRequest(.shell("(setsid bash -c 'exec -a \(mark) sleep 1000' > /dev/null 2>&1 &)")))
        #expect(await eventually { !hostProcesses(containing: mark).isEmpty })
        try await box.killAll()
        #expect(hostProcesses(containing: mark).isEmpty)
        let r = try await box.exec(ExecRequest(.shell("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")))
        #expect(!r.stdoutText.contains("sleep") && !r.stdoutText.contains(mark), "left alive: \(r.stdoutText)")
        await box.destroy()
    }

    @Test func signalsCannotReachOutside() async throws {
        let r = try await sh("kill -9 -1; kill -9 1; echo alive; ls /proc | grep -c '^[0-9]'")
        #expect(r.exitCode == 0 || r.signal == SIGKILL)
        #expect(kill(getpid(), 0) == 0)
        let hostPids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }) ?? []
        #expect(hostPids.count > 2)
    }

    @Test func clockAndHostnameStayPrivate() async throws {
        var spec = SandboxSpec()
        spec.hostname = "inside"
        let r = try await sh("hostname; hostname other 2>&1; date -s '2001-01-01' 2>&1; hostname", spec: spec)
        #expect(r.stdoutText.hasPrefix("inside\n"))
        #expect(r.stdoutText.hasSuffix("inside\n"))
        var name = [UInt8](repeating: 0, count: 256)
        gethostname(&name, 255)
        #expect(String(decoding: name.prefix { $0 != 0 }, as: UTF8.self) != "other")
        #expect(abs(Date().timeIntervalSince1970 - 978_307_200) > 1_000_000)
    }

    @Test func outputFloodIsBounded() async throws {
        var spec = SandboxSpec()
        spec.limits.outputBytes = 64 << 10
        let r = try await sh("yes 'flood \\033[31m \\377' | head -c 50000000", spec: spec, timeout: 60)
        #expect(r.stdout.count == 64 << 10)
        #expect(r.stdoutBytes == 50_000_000)
    }
}
