import AACore
import AASandbox
import ArgumentParser
import Foundation

/// Options shared by every command that builds task environments.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .customLong("image-map"), help: "TOML file mapping FROM images to root filesystems ([images] \"name\" = \"/path\" or \"host\"); default $AA_IMAGE_MAP.")
    var imageMap: String?

    @Option(name: .customLong("cache-dir"), help: "Where built environment layers are cached (default $AA_CACHE_DIR or ~/.cache/autoagent).")
    var cacheDirectory: String?

    func loadImageMap() throws -> ImageMap {
        guard let path = imageMap ?? ProcessInfo.processInfo.environment["AA_IMAGE_MAP"], !path.isEmpty else { return ImageMap() }
        return try ImageMap.load(path: path)
    }

    /// The runtime and the environment builder, ready for trials.
    @Flag(name: .customLong("force-build"), help: "Build every environment layer afresh instead of using the cache.")
    var forceBuild = false

    func makeBuilder(runtime: SandboxRuntime) throws -> EnvironmentBuilder {
        EnvironmentBuilder(cacheDirectory: cacheDirectory ?? EnvironmentBuilder.defaultCacheDirectory(), imageMap: try loadImageMap(),
                           runtime: runtime, logger: cliLogger, forceBuild: forceBuild)
    }
}
