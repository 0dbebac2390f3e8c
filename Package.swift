// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "AutoAgent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aa", targets: ["aa"]),
        .executable(name: "aa-sandbox", targets: ["aa-sandbox"]),
        .executable(name: "aa-sandbox-cli", targets: ["aa-sandbox-cli"]),
        .executable(name: "aa-sandbox-init", targets: ["aa-sandbox-init"]),
        .library(name: "AASandbox", targets: ["AASandbox"]),
        .library(name: "AAAnalytics", targets: ["AAAnalytics"]),
        .library(name: "AACore", targets: ["AACore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // The only C code of the project: the sandbox child side and what Swift cannot call directly.
        .target(
            name: "CAutoAgentLinux",
            path: "runtime/CAutoAgentLinux",
            cSettings: [.define("_GNU_SOURCE")]
        ),

        // Every sandbox's pid 1 and the spawner that creates them: a static binary, so it runs in any rootfs.
        // A C program: without the Swift start-up routines nothing pulls the Swift runtime in (it made the
        // binary 8 MB, and every sandbox's fork and exit paid for its relocated data).
        .executableTarget(
            name: "aa-sandbox-init",
            dependencies: ["CAutoAgentLinux"],
            path: "runtime/aa-sandbox-init",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld", "-nostartfiles"])]
        ),

        // The protocol between the aa-sandbox front end and the runtime server (aa-sandbox-cli serve).
        .target(
            name: "CAutoAgentFrontEnd",
            dependencies: ["CAutoAgentLinux"],
            cSettings: [.define("_GNU_SOURCE")]
        ),

        // `aa-sandbox`: a static C front end that hands `run` to the runtime server and execs
        // aa-sandbox-cli for everything else. Plain C: no Swift start-up routines (-nostartfiles), so
        // nothing of the Swift runtime is linked or started.
        .executableTarget(
            name: "aa-sandbox",
            dependencies: ["CAutoAgentFrontEnd"],
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld", "-nostartfiles"])]
        ),

        // Non-variadic wrappers of libcurl's setopt/getinfo calls for the model clients.
        .target(
            name: "CAutoAgentCurl",
            dependencies: ["CCurl"],
            cSettings: [.define("_GNU_SOURCE")]
        ),

        // The sandbox runtime.
        .target(
            name: "AASandbox",
            dependencies: [
                "CAutoAgentLinux", "CSeccomp", "CCap",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "runtime/AASandbox"
        ),

        // The trace store and analytics engine.
        .target(
            name: "AAAnalytics",
            dependencies: [
                "CZstd",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "analytics/AAAnalytics"
        ),

        // Tasks, trials, jobs, agents, model clients, ledger, the optimize loop.
        .target(
            name: "AACore",
            dependencies: [
                "AASandbox", "AAAnalytics", "CCurl", "CAutoAgentCurl", "CSQLite3",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),

        .executableTarget(
            name: "aa",
            dependencies: [
                "AACore", "AAAnalytics", "aa-sandbox-init",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "aa-sandbox-cli",
            dependencies: [
                "AASandbox", "aa-sandbox-init", "aa-sandbox", "CAutoAgentFrontEnd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // A whole-process launch pays the start-up: no dynamic Swift runtime or Foundation to load.
            // Release only: test bundles link this target's objects and need the dynamic runtime.
            linkerSettings: [.unsafeFlags(
                ["-static-stdlib", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-l_FoundationCollections"],
                .when(configuration: .release))]
        ),

        .testTarget(name: "AASandboxTests", dependencies: ["AASandbox", "CSeccomp", "aa-sandbox-init"]),
        .testTarget(name: "AAAnalyticsTests", dependencies: ["AAAnalytics"]),
        .testTarget(name: "AACoreTests", dependencies: ["AACore"]),
        // Helpers the CLI-level test targets share (running the built executables).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CLITests", dependencies: ["aa", "aa-sandbox", "aa-sandbox-cli", "TestSupport"]),
        .testTarget(name: "SandboxServerTests", dependencies: ["aa-sandbox", "aa-sandbox-cli", "aa-sandbox-init", "TestSupport"]),
        .testTarget(name: "SlurmTests", dependencies: ["aa", "AACore", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["AACore", "aa", "TestSupport"]),
        .testTarget(name: "HarnessAgentTests", dependencies: ["AACore", "aa", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "OptimizeTests", dependencies: ["AACore", "aa", "TestSupport", .product(name: "Logging", package: "swift-log")]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
