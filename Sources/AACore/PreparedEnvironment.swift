/// A task environment ready to start sandboxes from: a base root filesystem, the built layers on
/// top of it, and the image's configuration (ENV, WORKDIR, USER).
public struct PreparedEnvironment: Sendable, Equatable {
    public var image: String
    public var base: ImageMap.Base
    /// Host directories stacked on the base, top first.
    public var layers: [String]
    /// KEY=VALUE from ENV instructions, in order.
    public var environment: [String]
    /// The image's final WORKDIR ("/" when it sets none).
    public var workingDirectory: String
    /// The image's final USER as uid and gid inside.
    public var uid: UInt32
    public var gid: UInt32
    /// Content key of the top layer (or of the base when there are no layers).
    public var key: String
    /// Substitutions and notes to show the user (e.g. the default base standing in for an image).
    public var warnings: [String]
    /// For prebuilt images without a Dockerfile: files of `environment/` to copy into the workdir at start.
    public var uploadDirectory: String?
}
