import AACore
import Benchmark
import Foundation
import Logging

// Runner cost of model calls: 1,000 calls in flight at once against a loopback server (a separate
// Python process) that answers each after 1 s, next to an in-run baseline of 1,000 tasks that only
// sleep 1 s. CPU per round trip = cpuTotal / 1,000; memory per in-flight call = the difference in
// peak resident memory between the two rows / 1,000. Goals: ≤ 200 µs CPU per round trip, ≤ 1 MB per call.

private let inFlight = 1_000

/// The server process and the client pointed at it.
private final class SlowServer: Sendable {
    let process: Process
    let client: ModelClient

    init() throws {
        var script = URL(fileURLWithPath: #filePath)
        script.deleteLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path + "/slow_model_server.py", "1.0"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { preconditionFailure("the slow model server did not start") }
            line += String(decoding: byte, as: UTF8.self)
        }
        let port = line.trimmingCharacters(in: .whitespacesAndNewlines)
        self.process = process
        client = ModelClient(endpoint: ModelEndpoint(provider: .openai, baseURL: "http://127.0.0.1:\(port)/v1", model: "bench",
                                                     requestTimeoutSeconds: 60, totalTimeoutSeconds: 120,
                                                     retry: RetryPolicy(maxAttempts: 1), maxConcurrent: inFlight),
                             logger: Logger(label: "bench"))
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

private let request = ModelRequest(system: "Answer briefly.", messages: [ModelMessage(role: .user, content: "Say ok.")],
                                   sampling: ModelSampling(maxTokens: 8))

nonisolated(unsafe) private var server: SlowServer?

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal], timeUnits: .milliseconds,
        warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5,
        setup: { server = try SlowServer() }, teardown: { server?.stop() })

    Benchmark("baseline: \(inFlight) tasks sleeping 1 s", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<inFlight { group.addTask { try? await Task.sleep(for: .seconds(1)) } }
            }
        }
    }

    Benchmark("model round trips: \(inFlight) in flight, server answers after 1 s", configuration: configuration) { benchmark in
        let client = server!.client
        for _ in benchmark.scaledIterations {
            let ok = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<inFlight { group.addTask { (try? await client.complete(request))?.text == "ok" } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            precondition(ok == inFlight, "\(inFlight - ok) of \(inFlight) calls failed")
        }
    }
}
