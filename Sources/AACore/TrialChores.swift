import AASandbox
import Foundation
import Glibc

/// The parts of a trial around the agent and the verifier: what the task needs that this sandbox
/// lacks, users, the prebuilt-image upload, the healthcheck, artifacts, and handing the folder back.
extension TrialRunner {
    /// Copies `artifacts` paths out of the sandbox into the trial's artifacts folder (through
    /// /logs/artifacts, by tar inside the sandbox, so links are copied as links) and writes manifest.json.
    func collectArtifacts(_ task: TaskDefinition, sandbox: Sandbox, dir: String) async {
        guard !task.config.artifacts.isEmpty else { return }
        var manifest: [[String: String]] = []
        for artifact in task.config.artifacts {
            let source = artifact.source as NSString
            let name = artifact.destination ?? source.lastPathComponent
            let parent = source.deletingLastPathComponent.isEmpty ? "/" : source.deletingLastPathComponent
            let excludes = artifact.exclude.map { "--exclude=" + Self.quote($0) }.joined(separator: " ")
            let script = """
                set -e
                tmp=/logs/artifacts/.aa-unpack; rm -rf "$tmp"; mkdir -p "$tmp"
                tar -C \(Self.quote(parent)) \(excludes) -cf - \(Self.quote(source.lastPathComponent)) | tar -C "$tmp" -xf -
                rm -rf /logs/artifacts/\(Self.quote(name)); mv "$tmp"/\(Self.quote(source.lastPathComponent)) /logs/artifacts/\(Self.quote(name))
                rmdir "$tmp"
                """
            let result = try? await sandbox.exec(ExecRequest(.shell(script), workingDirectory: "/", timeoutSeconds: 120))
            let collected = dir + "/artifacts/" + name
            manifest.append([
                "source": artifact.source, "destination": name,
                "type": FileTree.isDirectory(collected) ? "directory" : "file",
                "status": result?.shellStatus == 0 ? "ok" : "failed",
            ])
        }
        try? JSONFile.write(manifest, to: dir + "/artifacts/manifest.json")
    }

    func uploadDirectory(_ source: String, into workdir: String, sandbox: Sandbox) async throws {
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", source, "-cf", "-", "."]
        let pipe = Pipe()
        tar.standardOutput = pipe
        try tar.run()
        let bytes = pipe.fileHandleForReading.readDataToEndOfFile()
        tar.waitUntilExit()
        let r = try await sandbox.exec(ExecRequest(.argv(["tar", "-C", workdir, "-xf", "-"]), stdin: [UInt8](bytes), workingDirectory: "/", timeoutSeconds: 300))
        guard r.shellStatus == 0 else { throw TrialFailure(.environmentBuild, "copying environment/ into \(workdir): \(r.stderrText)") }
    }

    func healthcheck(_ check: TaskConfig.Healthcheck, sandbox: Sandbox, workdir: String, log: TrialLog) async throws {
        if check.startPeriodSec > 0 { try await Task.sleep(for: .seconds(check.startPeriodSec)) }
        for attempt in 0...check.retries {
            let r = try await sandbox.exec(ExecRequest(.shell(check.command), workingDirectory: workdir, timeoutSeconds: check.timeoutSec))
            if r.shellStatus == 0 { return }
            log.write("healthcheck attempt \(attempt + 1) failed with \(r.shellStatus)")
            if attempt < check.retries { try await Task.sleep(for: .seconds(check.intervalSec)) }
        }
        throw TrialFailure(.healthcheck, "environment.healthcheck failed \(check.retries + 1) times: \(check.command)")
    }

    func checkSupported(_ task: TaskDefinition) throws(TrialFailure) {
        let c = task.config
        func unsupported(_ field: String, _ why: String) -> TrialFailure {
            TrialFailure(.unsupportedTask, "task.toml: \(field): \(why)")
        }
        if c.steps != nil { throw unsupported("steps", "multi-step tasks are not supported yet") }
        if c.verifier.environment != nil || c.verifier.environmentMode == "separate" {
            throw unsupported("verifier.environment", "a separate verifier environment is not supported (shared mode only)")
        }
        if let g = c.environment.gpus, g > 0 { throw unsupported("environment.gpus", "GPUs are not available in aa's sandbox") }
        if c.environment.tpu != nil { throw unsupported("environment.tpu", "TPUs are not available in aa's sandbox") }
        if c.environment.networkMode == .allowlist {
            throw unsupported("environment.network_mode", "\"allowlist\" is not supported (use \"public\" or \"no-network\")")
        }
        for (field, mode) in [("agent.network_mode", c.agent.networkMode), ("verifier.network_mode", c.verifier.networkMode)] {
            if let mode, mode != c.environment.networkMode {
                throw unsupported(field, "changing the network per phase is not supported (it must equal environment.network_mode)")
            }
        }
    }

    func userIDs(_ user: String?, environment: PreparedEnvironment, field: String, task: TaskDefinition) throws -> (UInt32, UInt32) {
        guard let user else { return (environment.uid, environment.gid) }
        if let id = UInt32(user) { return (id, id) }
        for path in ImageMap.hostPaths(forInside: "/etc/passwd", layers: environment.layers, base: environment.base, runtime: runtime) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 3, f[0] == user, let u = UInt32(f[2]), let g = UInt32(f[3]) { return (u, g) }
            }
        }
        throw TaskError(task: task.name, file: "task.toml", location: field, message: "user \"\(user)\" is not in the image's /etc/passwd")
    }

    /// Hands the trial folder back to the user who ran aa (files the sandbox wrote belong to its id range).
    func handBack(_ dir: String) {
        let uid = ProcessInfo.processInfo.environment["SUDO_UID"].flatMap(UInt32.init) ?? getuid()
        let gid = ProcessInfo.processInfo.environment["SUDO_GID"].flatMap(UInt32.init) ?? getgid()
        try? FileTree.chownTree(dir, uid, gid)
    }

    /// KEY=VALUE lists, later ones overriding earlier keys.
    static func merge(_ base: [String], _ image: [String], _ extra: [String: String]) -> [String] {
        var out: [String] = []
        var index: [String: Int] = [:]
        func put(_ entry: String) {
            let key = String(entry.split(separator: "=", maxSplits: 1).first ?? "")
            if let i = index[key] { out[i] = entry } else {
                index[key] = out.count
                out.append(entry)
            }
        }
        for e in base + image { put(e) }
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { put("\(k)=\(v)") }
        return out
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
