import AASandbox
import Foundation
import Glibc

/// Maps a Dockerfile's FROM image (or `[environment].docker_image`) to a base root filesystem.
/// Explicit entries come from a TOML file (`"pattern" = "/path/to/rootfs"` or `"host"` under
/// `[images]`); unmatched Debian-family names fall back to the default base with a warning.
public struct ImageMap: Sendable, Equatable {
    /// Where a base image comes from.
    public enum Base: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The machine's own Debian system directories (the sandbox's default rootfs).
        case host
        /// A root filesystem directory.
        case directory(String)

        /// The sandbox rootfs for this base.
        public var rootfs: SandboxSpec.Rootfs {
            switch self {
            case .host: return .host
            case .directory(let d): return .directory(d)
            }
        }

        public var description: String {
            switch self {
            case .host: return "the default base (the host's Debian system, read-only)"
            case .directory(let d): return d
            }
        }
    }

    /// Where a path inside an image made of `layers` (top first) on `base` may live on the host, top first.
    public static func hostPaths(forInside path: String, layers: [String], base: Base, runtime: SandboxRuntime) -> [String] {
        var out = layers.map { runtime.hostPath(inLayer: $0, forInside: path, rootfs: base.rootfs) }
        switch base {
        case .host: out.append(path)
        case .directory(let d): out.append(d + path)
        }
        return out
    }

    /// A resolved image: the base, and the warning to show when it is a substitution.
    public struct Resolution: Sendable, Equatable {
        public var base: Base
        public var warning: String?
    }

    public struct UnknownImage: Error, CustomStringConvertible, Sendable {
        public var image: String
        public var description: String {
            "image \"\(image)\" has no base root filesystem; map it in an image map file (`[images]` then "
                + "`\"\(image)\" = \"/path/to/rootfs\"` or `= \"host\"`) passed with --image-map or $AA_IMAGE_MAP"
        }
    }

    /// (glob pattern, base), first match wins.
    public var entries: [(String, Base)]

    public static func == (a: ImageMap, b: ImageMap) -> Bool {
        a.entries.map(\.0) == b.entries.map(\.0) && a.entries.map(\.1) == b.entries.map(\.1)
    }

    /// Images that resolve to the default base when no entry matches (with a warning).
    public static let debianFamily = [
        "debian", "debian:*", "python:*-bookworm", "python:*-slim", "python:*-slim-bookworm", "python:*-bullseye",
        "ubuntu", "ubuntu:*", "buildpack-deps:*", "*/python-3-*", "ghcr.io/astral-sh/uv:*bookworm*",
    ]

    public init(entries: [(String, Base)] = []) { self.entries = entries }

    /// Loads an image map file; errors name the file and key.
    public static func load(path: String) throws(TaskError) -> ImageMap {
        let label = (path as NSString).lastPathComponent
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TaskError(task: "image map", file: path, message: "cannot be read")
        }
        let fail: @Sendable (String, String) -> TaskError = { TaskError(task: "image map", file: label, location: $0, message: $1) }
        let root: [String: JSONValue]
        do { root = try TOMLDocument.parse(text) } catch {
            throw fail("line \(error.line)", "not valid TOML: \(error.message)")
        }
        guard let images = try FieldReader(root, path: "", fail: fail).table("images") else { return ImageMap() }
        var entries: [(String, Base)] = []
        for key in images.values.keys.sorted() {
            guard let value = try images.string(key) else { continue }
            if value == "host" {
                entries.append((key, .host))
            } else {
                guard value.hasPrefix("/") else { throw images.error(key, "must be \"host\" or an absolute rootfs path") }
                entries.append((key, .directory(value)))
            }
        }
        entries.sort { specificity($0.0) > specificity($1.0) }
        return ImageMap(entries: entries)
    }

    /// Resolves an image name.
    public func resolve(_ image: String) throws(UnknownImage) -> Resolution {
        for (pattern, base) in entries where Self.matches(pattern, image) { return Resolution(base: base, warning: nil) }
        if Self.debianFamily.contains(where: { Self.matches($0, image) }) {
            return Resolution(base: .host, warning: "image \"\(image)\" is substituted by \(Base.host)")
        }
        throw UnknownImage(image: image)
    }

    static func matches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    private static func specificity(_ pattern: String) -> Int { pattern.filter { $0 != "*" && $0 != "?" }.count }
}
