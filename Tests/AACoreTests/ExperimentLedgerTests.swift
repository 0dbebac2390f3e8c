@testable import AACore
import Foundation
import Testing

@Suite struct ExperimentLedgerTests {
    private func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/aa-exp-ledger-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func recordsSurviveReopeningWithEveryColumn() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ledger.sqlite"
        let kept = ExperimentRecord(
            id: 1, round: 1, candidate: 0, commitID: "0123456789abcdef", parentCommit: "fedcba9876543210",
            status: .keep, stage: .done, description: "add a verify step", hypothesis: "runs stop before checking",
            reason: "p=0.01 above the noise floor", trials: 12, avgScore: 0.75, passed: 9,
            taskScores: ["a": 1, "b": 0.5], parentScore: 0.5, validationScore: 0.6, parentValidationScore: 0.55,
            testScore: 0.7, statistic: 0.25, pValue: 0.01, ciLow: 0.1, ciHigh: 0.4, noiseFloor: 0.05,
            taskDeltas: ["a": 0.5, "b": 0], costUSD: 1.25, tokens: 4000, wallSeconds: 63.5,
            failureModes: ["gave up early": 3], diff: "--- a/system.md\n+++ b/system.md\n+Verify.\n",
            startedAt: "2026-11-27T14:00:00.000Z", finishedAt: "2026-11-27T14:01:03.500Z")
        do {
            let ledger = try ExperimentLedger(path: path)
            #expect(try ledger.nextID() == 0)
            try ledger.insert(ExperimentRecord(id: 0, round: 0, status: .baseline, stage: .done, description: "baseline"))
            try ledger.insert(ExperimentRecord(id: 1, round: 1, description: "add a verify step"))
            try ledger.update(kept)
            try ledger.setInfo("alpha", "0.05")
            try ledger.setInfo("alpha", "0.1")
            try ledger.setInfo("state", "running")
        }
        let ledger = try ExperimentLedger(path: path)
        #expect(try ledger.record(id: 1) == kept)
        #expect(try ledger.records().map(\.status) == [.baseline, .keep])
        #expect(try ledger.nextID() == 2)
        #expect(try ledger.info("alpha") == "0.1")
        #expect(try ledger.allInfo() == ["alpha": "0.1", "state": "running"])
        try ledger.delete(id: 1)
        #expect(try ledger.record(id: 1) == nil)
    }

    @Test func resultsTableHasTheSeedColumnsFirstAndSkipsRunningRows() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = try ExperimentLedger(path: dir + "/ledger.sqlite")
        try ledger.insert(ExperimentRecord(id: 0, round: 0, commitID: "aaaaaaaaaa", status: .baseline, stage: .done,
                                           description: "baseline", trials: 4, avgScore: 0.5, passed: 2,
                                           taskScores: ["t": 0.5], costUSD: 0.12345))
        try ledger.insert(ExperimentRecord(id: 1, round: 1, status: .crash, stage: .spot,
                                           description: "tabs\tand\nnewlines"))
        try ledger.insert(ExperimentRecord(id: 2, round: 2, description: "still running"))
        try ledger.writeResultsTSV(to: dir + "/results.tsv")
        let lines = try String(contentsOfFile: dir + "/results.tsv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("commit\tavg_score\tpassed\ttask_scores\tcost_usd\tstatus\tdescription\t"))
        let baseline = lines[1].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(baseline.count == ResultsTable.columns.count)
        #expect(Array(baseline.prefix(7)) == ["aaaaaaa", "0.500000", "2", #"{"t":0.5}"#, "0.1235", "baseline", "baseline"])
        let crash = lines[2].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(crash[1] == "0.000000")
        #expect(crash[5] == "crash")
        #expect(crash[6] == "tabs and newlines")
    }

    @Test func aCorruptJSONColumnNamesTheExperiment() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = try ExperimentLedger(path: dir + "/ledger.sqlite")
        try ledger.insert(ExperimentRecord(id: 3, round: 1, description: "x"))
        try SQLiteDatabase(path: dir + "/ledger.sqlite").execute("UPDATE experiments SET task_scores = 'nope' WHERE id = 3")
        #expect {
            try ledger.records()
        } throws: { error in
            "\(error)".contains("experiment 3: bad task_scores JSON") && "\(error)".contains("ledger.sqlite")
        }
    }
}
