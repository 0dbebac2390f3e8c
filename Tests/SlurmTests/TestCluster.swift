import Foundation
import Glibc
import TestSupport

/// The single-node Slurm cluster of this test process: started on first use by
/// scripts/slurm-test-cluster.sh (which installs slurm-wlm and munge when missing) in a folder under
/// the temporary directory, and stopped by its daemons' pids when the process exits.
struct TestCluster: Sendable {
    let directory: String
    let configuration: String

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let script = repository + "/scripts/slurm-test-cluster.sh"

    /// Starts the daemons that are not running and waits until the node is idle.
    static func start(in directory: String) throws -> String {
        let r = try Shell.run(script, ["start", directory])
        guard r.status == 0 else { throw ClusterError(message: "slurm-test-cluster.sh start failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The slurmd pid file, for the node-failure test.
    var slurmdPidFile: String { directory + "/slurmd.pid" }

    /// Runs a Slurm client command against this cluster.
    func client(_ tool: String, _ arguments: [String]) throws -> Shell.Result {
        try Shell.run("/usr/bin/env", [tool] + arguments, environment: ["SLURM_CONF": configuration])
    }

    struct ClusterError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// The cluster, started once for the whole test process (Swift initialises globals once, thread-safely).
/// Its folder is fixed, so daemons a crashed test process left behind are taken over and then stopped.
let sharedCluster: Result<TestCluster, any Error> = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aa-slurm-test-cluster").path
    do {
        let conf = try TestCluster.start(in: dir)
        atexit {
            guard case .success(let cluster) = sharedCluster else { return }
            _ = try? Shell.run(TestCluster.script, ["stop", cluster.directory])
            try? FileManager.default.removeItem(atPath: cluster.directory)
        }
        return .success(TestCluster(directory: dir, configuration: conf))
    } catch {
        return .failure(error)
    }
}()

/// Child processes for the tests, spawned and reaped directly (posix_spawn, waitpid): the cluster
/// script leaves daemons behind, which Foundation's Process does not cope with reliably.
enum Shell {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started child: its pid and the files its stdout and stderr go to.
    struct Child: Sendable {
        var pid: pid_t
        var stdout: String
        var stderr: String

        /// Waits for the child; its exit status, or 128 + the signal that ended it.
        func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }

        func signal(_ number: Int32) { kill(pid, number) }
    }

    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let child = try start(path, arguments, environment: environment)
        let status = child.wait()
        defer {
            unlink(child.stdout)
            unlink(child.stderr)
        }
        return Result(status: status, stdout: (try? String(contentsOfFile: child.stdout, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: child.stderr, encoding: .utf8)) ?? "")
    }

    /// Starts `path` with the test's environment plus `environment`, stdin from /dev/null and its output
    /// in two fresh files (or both in `output`).
    static func start(_ path: String, _ arguments: [String], environment: [String: String], output: String? = nil) throws -> Child {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aa-shell-\(UUID().uuidString)").path
        let out = output ?? base + ".out"
        let err = output ?? base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if output != nil {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        let env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw TestCluster.ClusterError(message: "posix_spawn \(path): \(String(cString: strerror(rc)))") }
        return Child(pid: pid, stdout: out, stderr: err)
    }

    /// Waits until `condition` holds, checking every 200 ms; false after `timeout` seconds.
    static func wait(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(200_000)
        }
        return try condition()
    }
}
