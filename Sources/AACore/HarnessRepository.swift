import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The harness of an optimize run as a git repository: branch `main` is always the current best;
/// every evaluated edit is a commit whose parent is the `main` it was proposed against, reachable
/// as `refs/aa/exp/<id>` whether kept or not. The work tree is where edits are made.
public struct HarnessRepository: Sendable {
    public let directory: String

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var command: String
        public var message: String
        public var description: String { "git \(command): \(message)" }
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// Whether `directory` holds the repository with its `main` (a creation cut short by a kill does not count).
    public func exists() async -> Bool {
        guard FileManager.default.fileExists(atPath: directory + "/.git") else { return false }
        return (try? await commit(of: "main")) != nil
    }

    /// Creates the repository from the files of `source` (its own `.git`, if any, is left out) with
    /// one commit on `main`.
    public static func create(at directory: String, from source: String) async throws -> HarnessRepository {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for relative in (FileManager.default.subpaths(atPath: source) ?? []).sorted() where !(relative == ".git" || relative.hasPrefix(".git/")) {
            let from = source + "/" + relative
            let to = directory + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: from, isDirectory: &isDirectory), isDirectory.boolValue {
                try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
            } else {
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        let repository = HarnessRepository(directory: directory)
        try await repository.git(["init", "-q", "-b", "main"])
        try await repository.git(["add", "-A"])
        try await repository.git(["commit", "-q", "--allow-empty", "-m", "baseline: the starting harness"])
        return repository
    }

    /// The commit id of `ref`.
    public func commit(of ref: String = "main") async throws -> String {
        try await git(["rev-parse", "--verify", ref + "^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The work tree's changes against `base` (untracked files included), as the guard reads them.
    public func workTreeChanges(against base: String) async throws -> [EditGuard.Change] {
        try await git(["add", "-A"])
        let listing = try await git(["diff", "--cached", "--name-only", "-z", "--no-renames", base])
        var changes: [EditGuard.Change] = []
        for path in listing.split(separator: "\0").map(String.init) where !path.isEmpty {
            let before = try? await git(["show", base + ":" + path])
            let after = FileManager.default.contents(atPath: directory + "/" + path).map { String(decoding: $0, as: UTF8.self) }
            changes.append(EditGuard.Change(path: path, before: before, after: after))
        }
        return changes
    }

    /// The unified diff of the work tree (untracked files included) against `base`.
    public func workTreeDiff(against base: String) async throws -> String {
        try await git(["add", "-A"])
        return try await git(["diff", "--cached", "--no-color", "--no-ext-diff", base])
    }

    /// Commits the work tree as a child of `parent` without moving `main`, names it
    /// `refs/aa/exp/<id>`, and returns its id.
    public func commitWorkTree(parent: String, experiment id: Int, message: String) async throws -> String {
        try await git(["add", "-A"])
        let tree = try await git(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try await git(["commit-tree", tree, "-p", parent, "-m", message]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await git(["update-ref", Self.experimentRef(id), commit])
        return commit
    }

    /// The ref of experiment `id`.
    public static func experimentRef(_ id: Int) -> String { "refs/aa/exp/\(id)" }

    /// Puts the work tree (and index) back to `main`, dropping uncommitted edits.
    public func resetWorkTree() async throws {
        try await git(["reset", "-q", "--hard", "main"])
        try await git(["clean", "-q", "-fdx"])
    }

    /// Moves `main` to `commit` (a kept experiment) and checks it out.
    public func advanceMain(to commit: String) async throws {
        try await git(["update-ref", "refs/heads/main", commit])
        try await resetWorkTree()
    }

    /// The unified diff from `parent` to `commit`.
    public func diff(from parent: String, to commit: String) async throws -> String {
        try await git(["diff", "--no-color", "--no-ext-diff", parent, commit])
    }

    /// Writes the files of `commit` into `destination` (created fresh).
    public func export(_ commit: String, to destination: String) async throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let archive = destination + ".tar"
        try await git(["archive", "--format=tar", "-o", archive, commit])
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try await Self.runTool("tar", ["-xf", archive, "-C", destination], in: nil, label: "tar -xf")
    }

    /// Files of `commit` with their sizes in bytes.
    public func files(of commit: String) async throws -> [(path: String, bytes: Int)] {
        let listing = try await git(["ls-tree", "-r", "-l", "-z", commit])
        return listing.split(separator: "\0").compactMap { entry in
            let parts = entry.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let fields = parts[0].split(separator: " ", omittingEmptySubsequences: true)
            return (String(parts[1]), Int(fields.last ?? "") ?? 0)
        }
    }

    @discardableResult
    func git(_ arguments: [String]) async throws -> String {
        let config = ["-c", "user.name=AutoAgent", "-c", "user.email=aa@localhost", "-c", "commit.gpgsign=false",
                      "-c", "core.autocrlf=false", "-c", "advice.detachedHead=false"]
        // Git never looks above the harness for a repository (a run directory may sit inside another repository).
        let ceiling = (URL(fileURLWithPath: directory).standardizedFileURL.path as NSString).deletingLastPathComponent
        return try await Self.runTool("git", config + arguments, in: directory, label: arguments.first ?? "",
                                      environment: ["GIT_CEILING_DIRECTORIES": ceiling])
    }

    @discardableResult
    static func runTool(_ name: String, _ arguments: [String], in directory: String?, label: String,
                        environment extra: [Environment.Key: String?] = [:]) async throws -> String {
        var variables: [Environment.Key: String?] = ["GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"]
        variables.merge(extra) { _, new in new }
        let result = try await Subprocess.run(
            .name(name), arguments: Arguments(arguments), environment: .inherit.updating(variables),
            workingDirectory: directory.map { FilePath($0) }, output: .string(limit: 64 << 20), error: .string(limit: 1 << 20))
        guard result.terminationStatus.isSuccess else {
            throw Failure(command: label, message: result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
                + " (\(result.terminationStatus))")
        }
        return result.standardOutput
    }
}
