import AAAnalytics
import Benchmark
import Foundation
import Logging

// The trace store and analytics engine against in-run baselines (compare rows of one run):
// - trace write throughput (goal ≥ 200 MB/s of raw event JSON);
// - read + columnarize a job folder vs `zstd -dc | python3 json.loads` on the same events (goal ≥ 2×);
// - template mining vs drain3 (PyPI) on the same Loghub lines, lines per CPU second (goal ≥ 20×),
//   the baseline skipped without drain3;
// - the whole analysis (load, detect, cluster, report) of a synthetic corpus: AA_BENCH_TRIALS trials
//   of 50 steps (default 100,000 trials, 5M steps; goal ≤ 30 s). The corpus is written once and kept.

let repository: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
let loghub = repository + "/../shared/data/loghub-2k"
let scratch = "/var/tmp/aa-bench-analytics"
let logger = Logger(label: "bench")

/// Runs a shell script, returning its standard output; nil when it fails.
func shell(_ script: String) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", script]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

/// CPU time of the calling thread.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The Content column of the Loghub datasets, one message a line.
func loghubLines() -> [String] {
    let script = """
        import csv, glob, sys
        for path in sorted(glob.glob(sys.argv[1] + "/*/*_structured.csv")):
            for row in csv.DictReader(open(path, newline="")):
                print(row["Content"].replace("\\n", " "))
        """
    let quoted = script.replacingOccurrences(of: "'", with: "'\\''")
    return (shell("python3 -c '\(quoted)' '\(loghub)'") ?? "").split(separator: "\n").map(String.init)
}

nonisolated(unsafe) var writeEvents: [TraceEvent] = []
nonisolated(unsafe) var rawEventBytes = 0
nonisolated(unsafe) var mineLines: [String] = []

let benchmarks: @Sendable () -> Void = {
    let megabytesPerSecond = BenchmarkMetric.custom("raw MB/s", polarity: .prefersLarger, useScalingFactor: false)
    let linesPerSecond = BenchmarkMetric.custom("lines/s", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1,
                                           maxDuration: .seconds(30), maxIterations: 10)

    Benchmark(
        "trace write: 2,000 trials × 50 steps of events",
        configuration: .init(metrics: [.wallClock, megabytesPerSecond], setup: {
            writeEvents = (0..<2_000).flatMap { SyntheticCorpus.events(trial: $0, steps: 50) }
            var line: [UInt8] = []
            rawEventBytes = writeEvents.reduce(0) { total, e in
                line.removeAll(keepingCapacity: true)
                TraceEventCodec.encode(e, into: &line)
                return total + line.count + 1
            }
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        })
    ) { benchmark in
        let start = DispatchTime.now().uptimeNanoseconds
        let writer = try TraceWriter(path: scratch + "/write.aatrace", frameEvents: 64)
        for e in writeEvents { try writer.append(e) }
        try writer.flush()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        benchmark.measurement(megabytesPerSecond, Int(Double(rawEventBytes) / seconds / 1e6))
    }

    Benchmark(
        "read + columnarize: job folder of 2,000 trials × 50 steps",
        configuration: .init(setup: { try SyntheticCorpus.write(to: scratch + "/corpus-2000", trials: 2_000, steps: 50) })
    ) { _ in
        let corpus = try CorpusLoader.load(paths: [scratch + "/corpus-2000"], logger: logger)
        precondition(corpus.tables.steps.count == 100_000)
    }

    Benchmark(
        "baseline: zstd -dc | python3 json.loads, same events",
        configuration: .init(setup: { _ = try SyntheticCorpus.writeJSONLines(to: scratch + "/events.jsonl.zst", trials: 2_000, steps: 50) })
    ) { _ in
        let count = shell("zstd -dc \(scratch)/events.jsonl.zst | python3 -c 'import json, sys; print(sum(1 for l in sys.stdin if json.loads(l)))'")
        precondition(count?.hasPrefix("306000") == true, "zstd or python3 failed")
    }

    Benchmark(
        "template mining: Loghub-2k messages × 5",
        configuration: .init(metrics: [.wallClock, linesPerSecond], setup: {
            mineLines = Array(repeating: loghubLines(), count: 5).flatMap { $0 }
        })
    ) { benchmark in
        guard !mineLines.isEmpty else { return }
        // Lines per CPU second of the mining thread, as the drain3 baseline reports (robust on a shared machine).
        var miner = TemplateMiner()
        let start = threadCPUSeconds()
        for line in mineLines { miner.add(line) }
        benchmark.measurement(linesPerSecond, Int(Double(mineLines.count) / max(1e-9, threadCPUSeconds() - start)))
    }

    if shell("python3 -c 'import drain3'") != nil {
        Benchmark(
            "baseline: drain3 on the same messages",
            configuration: .init(metrics: [.wallClock, linesPerSecond])
        ) { benchmark in
            let out = shell("cd '\(repository)/scripts' && python3 drain3-baseline.py '\(loghub)'/* --repeat 5 2>/dev/null | tail -1")
            let rate = out?.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) } ?? 0
            benchmark.measurement(linesPerSecond, rate)
        }
    }

    let trials = Int(ProcessInfo.processInfo.environment["AA_BENCH_TRIALS"] ?? "") ?? 100_000
    Benchmark(
        "aa analyze: \(trials) trials × 50 steps (load, detect, cluster, report)",
        configuration: .init(warmupIterations: 0, maxDuration: .seconds(300), maxIterations: 3, setup: {
            try SyntheticCorpus.write(to: scratch + "/corpus-\(trials)", trials: trials, steps: 50)
        })
    ) { _ in
        let corpus = try CorpusLoader.load(paths: [scratch + "/corpus-\(trials)"], logger: logger)
        let analysis = FailureAnalysis.analyze(corpus.tables, problems: corpus.problems)
        blackHole(MarkdownReport.render(analysis))
    }
}
