// swift-tools-version: 6.1
// Performance suites, kept out of the main package so that CI does not build them.
// Run from this folder: swift package --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "AutoAgentBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "AutoAgent", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "SandboxLaunch",
            dependencies: [
                .product(name: "AASandbox", package: "AutoAgent"),
                .product(name: "aa-sandbox-init", package: "AutoAgent"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "SandboxLaunch",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TrialOverhead",
            dependencies: [
                .product(name: "AACore", package: "AutoAgent"),
                .product(name: "AASandbox", package: "AutoAgent"),
                .product(name: "aa-sandbox-init", package: "AutoAgent"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "TrialOverhead",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TraceAnalytics",
            dependencies: [
                .product(name: "AAAnalytics", package: "AutoAgent"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "TraceAnalytics",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ModelRoundTrips",
            dependencies: [
                .product(name: "AACore", package: "AutoAgent"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "ModelRoundTrips",
            exclude: ["slow_model_server.py"],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
