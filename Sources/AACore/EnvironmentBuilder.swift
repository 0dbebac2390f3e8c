import AASandbox
import Foundation
import Glibc
import Logging

/// Builds task environments from their Dockerfile without Docker: every RUN runs in a build
/// sandbox (network allowed) on top of the layers so far, with a fresh host directory as its
/// writable layer; COPY/ADD/WORKDIR write a new layer directly. Each layer is cached under the
/// content hash of everything that went into it, so an unchanged task builds once.
public actor EnvironmentBuilder {
    public let cacheDirectory: String
    public let imageMap: ImageMap
    /// Build every layer afresh instead of reusing cached ones (Harbor's --force-build).
    public let forceBuild: Bool
    /// Mixed into every layer key when forcing, so this builder's layers are new ones.
    private let keySalt: String
    private let runtime: SandboxRuntime
    private let logger: Logger
    private var inFlight: [String: Task<PreparedEnvironment, any Error>] = [:]
    private var warned: Set<String> = []
    private var sweptLeftovers = false

    public init(cacheDirectory: String, imageMap: ImageMap, runtime: SandboxRuntime, logger: Logger, forceBuild: Bool = false) {
        self.cacheDirectory = cacheDirectory
        self.imageMap = imageMap
        self.forceBuild = forceBuild
        keySalt = forceBuild ? " forced \(UUID().uuidString)" : ""
        self.runtime = runtime
        self.logger = logger
    }

    /// The default cache: $AA_CACHE_DIR, else $XDG_CACHE_HOME/autoagent, else ~/.cache/autoagent.
    public static func defaultCacheDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["AA_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/autoagent" }
        return (env["HOME"] ?? "/root") + "/.cache/autoagent"
    }

    /// Prepares a task's environment, building (or reusing) its layers. Concurrent calls for the
    /// same task share one build.
    public func prepare(_ task: TaskDefinition, timeoutMultiplier: Double = 1) async throws -> PreparedEnvironment {
        if let running = inFlight[task.directory] { return try await running.value }
        let job = Task { try await self.build(task, timeoutMultiplier: timeoutMultiplier) }
        inFlight[task.directory] = job
        do {
            let env = try await job.value
            for w in env.warnings where warned.insert(w).inserted { logger.warning("\(w)") }
            return env
        } catch {
            inFlight[task.directory] = nil
            throw error
        }
    }

    private func build(_ task: TaskDefinition, timeoutMultiplier: Double) async throws -> PreparedEnvironment {
        func buildError(_ message: String) -> TrialFailure { TrialFailure(.environmentBuild, message) }
        guard task.config.environment.os == "linux" else {
            throw TrialFailure(.unsupportedTask, "task.toml: environment.os = \"\(task.config.environment.os)\" is not supported (linux only)")
        }
        guard let dockerfilePath = task.dockerfilePath else {
            let image = task.config.environment.dockerImage ?? ""
            let resolution: ImageMap.Resolution
            do { resolution = try imageMap.resolve(image) } catch { throw buildError("task.toml: environment.docker_image: \(error)") }
            return PreparedEnvironment(
                image: image, base: resolution.base, layers: [], environment: [], workingDirectory: "/", uid: 0, gid: 0,
                key: SHA256.hex("base \(resolution.base) \(image)"), warnings: resolution.warning.map { [$0] } ?? [],
                uploadDirectory: task.environmentDirectory)
        }
        let text: String
        do { text = try String(contentsOfFile: dockerfilePath, encoding: .utf8) } catch {
            throw buildError("environment/Dockerfile cannot be read: \(error.localizedDescription)")
        }
        let dockerfile: Dockerfile
        do { dockerfile = try Dockerfile.parse(text) } catch {
            throw TrialFailure(.unsupportedTask, "environment/Dockerfile \(error)")
        }
        let resolution: ImageMap.Resolution
        do { resolution = try imageMap.resolve(dockerfile.baseImage) } catch {
            throw TrialFailure(.unsupportedTask, "environment/Dockerfile line \(dockerfile.fromLine): \(error)")
        }
        var state = ImageState(base: resolution.base)
        state.key = SHA256.hex("base \(resolution.base) \(dockerfile.baseImage) \(Self.fingerprint(resolution.base))\(keySalt)")
        let deadline = Date().addingTimeInterval(task.config.environment.buildTimeoutSec * timeoutMultiplier)
        let layersDirectory = cacheDirectory + "/layers"
        do { try FileTree.makeDirectories(layersDirectory) } catch { throw buildError("cache: \(error)") }
        if !sweptLeftovers {
            sweptLeftovers = true
            Self.removeLeftovers(in: layersDirectory, logger: logger)
        }
        for instruction in dockerfile.instructions {
            let at = "environment/Dockerfile line \(instruction.line)"
            switch instruction.kind {
            case .arg(let name, let value):
                state.args[name] = value ?? ""
            case .env(let pairs):
                for (k, v) in pairs { state.setEnv(k, v) }
            case .user(let user):
                let (uid, gid) = try resolveUser(user, state: state, at: at)
                state.uid = uid
                state.gid = gid
                state.key = SHA256.hex(state.key + "\nUSER \(uid):\(gid)")
            case .workdir(let path):
                state.workdir = state.absolute(path)
                let owner = (runtime.hostID(forInside: state.uid), runtime.hostID(forInside: state.gid))
                let workdir = state.workdir
                let rootfs = state.rootfs
                try layer(&state, instruction: "WORKDIR \(workdir)", at: at, in: layersDirectory) { dir in
                    try FileTree.makeDirectories(self.runtime.hostPath(inLayer: dir, forInside: workdir, rootfs: rootfs), owner: owner)
                }
            case .copy(let sources, let destination, let chown, let chmod):
                var hasher = SHA256()
                var files: [String] = []
                for source in sources {
                    let matches = expandGlob(source, in: task.environmentDirectory)
                    guard !matches.isEmpty else { throw TrialFailure(.environmentBuild, "\(at): COPY source not found in environment/: \(source)") }
                    files += matches
                }
                for f in files { FileTree.hash(task.environmentDirectory + "/" + f, as: f, into: &hasher) }
                let owner = try chown.map { try resolveUser($0, state: state, at: at) } ?? (0, 0)
                let dest = state.absolute(destination)
                let intoDirectory = destination.hasSuffix("/") || files.count > 1 || isDirectory(dest, state: state)
                    || files.contains { FileTree.isDirectory(task.environmentDirectory + "/" + $0) }
                let hostOwner = (runtime.hostID(forInside: owner.0), runtime.hostID(forInside: owner.1))
                let rootOwner = (runtime.hostID(forInside: 0), runtime.hostID(forInside: 0))
                let canonical = "\(instruction.kind.canonical) content=\(hasher.finalizeHex()) workdir=\(state.workdir)"
                let rootfs = state.rootfs
                try layer(&state, instruction: canonical, at: at, in: layersDirectory) { dir in
                    for f in files {
                        let src = task.environmentDirectory + "/" + f
                        let inside: String
                        if intoDirectory {
                            try FileTree.makeDirectories(self.runtime.hostPath(inLayer: dir, forInside: dest, rootfs: rootfs), owner: rootOwner)
                            inside = FileTree.isDirectory(src) ? dest : (dest == "/" ? "" : dest) + "/" + (f as NSString).lastPathComponent
                        } else {
                            let parent = (dest as NSString).deletingLastPathComponent
                            try FileTree.makeDirectories(self.runtime.hostPath(inLayer: dir, forInside: parent, rootfs: rootfs), owner: rootOwner)
                            inside = dest
                        }
                        let target = self.runtime.hostPath(inLayer: dir, forInside: inside, rootfs: rootfs)
                        if FileTree.isDirectory(src) {
                            for child in FileTree.entries(src) {
                                try FileTree.copy(src + "/" + child, to: target + "/" + child, owner: hostOwner, mode: chmod.map { mode_t($0) })
                            }
                        } else {
                            try FileTree.copy(src, to: target, owner: hostOwner, mode: chmod.map { mode_t($0) })
                        }
                    }
                }
            case .run(let exec, let shell):
                let canonical = "\(instruction.kind.canonical) env=\(state.runEnvironment) workdir=\(state.workdir) user=\(state.uid):\(state.gid)"
                try await runLayer(&state, canonical: canonical, exec: exec, shell: shell, at: at, in: layersDirectory, deadline: deadline)
            }
        }
        return PreparedEnvironment(
            image: dockerfile.baseImage, base: resolution.base, layers: state.layers, environment: state.env,
            workingDirectory: state.workdir, uid: state.uid, gid: state.gid, key: state.key,
            warnings: resolution.warning.map { [$0] } ?? [], uploadDirectory: nil)
    }

    /// Makes (or reuses) a layer whose content `fill` writes directly on the host.
    private func layer(_ state: inout ImageState, instruction: String, at: String, in root: String,
                       fill: (String) throws -> Void) throws {
        let key = SHA256.hex(state.key + "\n" + instruction)
        let final = root + "/" + key
        if !FileTree.isDirectory(final) {
            let temp = final + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                try FileTree.makeDirectories(temp)
                try fill(temp)
            } catch {
                try? FileTree.remove(temp)
                throw TrialFailure(.environmentBuild, "\(at): \(error)")
            }
            publish(temp, as: final)
        }
        state.key = key
        state.layers.insert(final, at: 0)
    }

    /// Runs one RUN instruction in a build sandbox whose writable layer becomes the new layer.
    private func runLayer(_ state: inout ImageState, canonical: String, exec: [String]?, shell: String?, at: String,
                          in root: String, deadline: Date) async throws {
        let key = SHA256.hex(state.key + "\n" + canonical)
        let final = root + "/" + key
        if !FileTree.isDirectory(final) {
            let temp = final + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let upper = temp + "/upper"
            do {
                try FileTree.makeDirectories(temp)
            } catch {
                throw TrialFailure(.environmentBuild, "\(at): \(error)")
            }
            var spec = SandboxSpec(environment: SandboxSpec.defaultEnvironment.filter { e in
                !state.env.contains { $0.split(separator: "=").first == e.split(separator: "=").first }
            } + state.runEnvironment, workingDirectory: state.workdir, hostname: "aa-build", uid: state.uid, gid: state.gid)
            spec.rootfs = state.rootfs
            spec.layers = state.layers
            spec.writableLayer = .directory(upper)
            spec.network = .host
            spec.capabilities = SandboxSpec.Capability.dockerDefault // apt-get, chown, useradd, as under Docker
            spec.limits.diskBytes = 8 << 30
            spec.limits.memoryBytes = 4 << 30
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                try? FileTree.remove(temp)
                throw TrialFailure(.environmentStartTimeout, "\(at): the build ran past environment.build_timeout_sec")
            }
            let command: ExecRequest.Command = exec.map { .argv($0) } ?? .shell(shell ?? "")
            logger.info("building", metadata: ["step": "\(at)", "layer": "\(key.prefix(12))"])
            let result: ExecResult
            do {
                result = try await Sandbox.run(spec, ExecRequest(command, timeoutSeconds: remaining), runtime: runtime)
            } catch {
                try? FileTree.remove(temp)
                throw TrialFailure(.environmentBuild, "\(at): build sandbox failed: \(error)")
            }
            if result.timedOut {
                try? FileTree.remove(temp)
                throw TrialFailure(.environmentStartTimeout, "\(at): the build ran past environment.build_timeout_sec")
            }
            guard result.shellStatus == 0 else {
                try? FileTree.remove(temp)
                let tail = (result.stderrText + result.stdoutText).split(separator: "\n").suffix(8).joined(separator: "\n")
                throw TrialFailure(.environmentBuild, "\(at): RUN exited with \(result.shellStatus):\n\(tail)")
            }
            try? FileTree.remove(Self.workDirectory(upper))
            publish(temp, as: final)
        }
        state.key = key
        state.layers.insert(final + "/upper", at: 0)
    }

    /// What changes when the base's content changes: its package database for the host base, its
    /// root directory's modification time for a rootfs directory. Part of every layer key.
    static func fingerprint(_ base: ImageMap.Base) -> String {
        let path: String
        switch base {
        case .host: path = "/var/lib/dpkg/status"
        case .directory(let d): path = d
        }
        var st = stat()
        guard stat(path, &st) == 0 else { return "none" }
        return "\(st.st_size)-\(st.st_mtim.tv_sec)-\(st.st_mtim.tv_nsec)"
    }

    /// Removes half-built layers (`<key>.tmp-<pid>-<n>`) whose builder process is gone.
    static func removeLeftovers(in directory: String, logger: Logger) {
        for name in FileTree.entries(directory) {
            guard let range = name.range(of: ".tmp-"),
                  let pid = Int32(name[range.upperBound...].prefix { $0 != "-" }),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            do { try FileTree.remove(directory + "/" + name) } catch {
                logger.warning("cannot remove a half-built layer", metadata: ["path": "\(directory)/\(name)", "error": "\(error)"])
            }
        }
    }

    /// Atomically moves a finished layer into place; a concurrent builder that got there first wins.
    private func publish(_ temp: String, as final: String) {
        if rename(temp, final) != 0 { try? FileTree.remove(temp) }
    }

    /// Resolves `user[:group]` (names or ids) against the image's /etc/passwd and /etc/group.
    private func resolveUser(_ spec: String, state: ImageState, at: String) throws -> (UInt32, UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        func lookup(_ file: String, _ name: String) -> (UInt32, UInt32)? {
            for path in state.lookupPaths(file, runtime: runtime) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                for line in text.split(separator: "\n") {
                    let f = line.split(separator: ":", omittingEmptySubsequences: false)
                    if f.count > 3, f[0] == name, let id = UInt32(f[2]), let g = UInt32(f[3]) { return (id, g) }
                    if f.count > 2, f[0] == name, let id = UInt32(f[2]) { return (id, id) }
                }
            }
            return nil
        }
        let user: (UInt32, UInt32)
        if let id = UInt32(parts[0]) {
            user = (id, id)
        } else if let found = lookup("/etc/passwd", parts[0]) {
            user = found
        } else {
            throw TrialFailure(.environmentBuild, "\(at): user \"\(parts[0])\" is not in the image's /etc/passwd")
        }
        guard parts.count == 2 else { return user }
        if let gid = UInt32(parts[1]) { return (user.0, gid) }
        guard let group = lookup("/etc/group", parts[1]) else {
            throw TrialFailure(.environmentBuild, "\(at): group \"\(parts[1])\" is not in the image's /etc/group")
        }
        return (user.0, group.0)
    }

    private func isDirectory(_ path: String, state: ImageState) -> Bool {
        state.lookupPaths(path, runtime: runtime).contains { FileTree.isDirectory($0) }
    }

    /// The overlay work directory the runtime keeps next to a writable layer.
    static func workDirectory(_ upper: String) -> String { upper + ".work" }

    /// Expands `*`, `?` and `[...]` in a COPY source, relative to the context directory.
    private func expandGlob(_ pattern: String, in context: String) -> [String] {
        let clean = pattern.hasPrefix("./") ? String(pattern.dropFirst(2)) : pattern
        if clean == "." || clean.isEmpty { return FileTree.isDirectory(context) ? ["."] : [] }
        guard clean.contains(where: { "*?[".contains($0) }) else {
            return FileTree.exists(context + "/" + clean) ? [clean] : []
        }
        var matches = [""]
        for part in clean.split(separator: "/").map(String.init) {
            var next: [String] = []
            for prefix in matches {
                let dir = prefix.isEmpty ? context : context + "/" + prefix
                for name in FileTree.entries(dir) where fnmatch(part, name, FNM_PERIOD) == 0 {
                    next.append(prefix.isEmpty ? name : prefix + "/" + name)
                }
            }
            matches = next
        }
        return matches.sorted()
    }
}

/// The image as the Dockerfile has built it so far.
struct ImageState {
    var base: ImageMap.Base
    var layers: [String] = []
    var env: [String] = []
    var args: [String: String] = [:]
    var workdir = "/"
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var key = ""

    mutating func setEnv(_ name: String, _ value: String) {
        env.removeAll { $0.hasPrefix(name + "=") }
        env.append("\(name)=\(value)")
    }

    /// ENV plus ARG values, as RUN sees them.
    var runEnvironment: [String] {
        let names = Set(env.map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        return env + args.sorted { $0.key < $1.key }.filter { !names.contains($0.key) }.map { "\($0.key)=\($0.value)" }
    }

    func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : (workdir == "/" ? "/" : workdir + "/") + path
        var parts: [Substring] = []
        for p in joined.split(separator: "/") {
            if p == "." { continue }
            if p == ".." { _ = parts.popLast() } else { parts.append(p) }
        }
        return "/" + parts.joined(separator: "/")
    }

    var rootfs: SandboxSpec.Rootfs { base.rootfs }

    /// Where a path inside the image may live on the host, top layer first.
    func lookupPaths(_ path: String, runtime: SandboxRuntime) -> [String] {
        ImageMap.hostPaths(forInside: path, layers: layers, base: base, runtime: runtime)
    }
}
