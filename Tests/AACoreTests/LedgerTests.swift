@testable import AACore
import Foundation
import Testing

@Suite struct LedgerTests {
    @Test func slotsSurviveReopening() throws {
        let path = FileManager.default.temporaryDirectory.path + "/aa-ledger-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        do {
            let ledger = try Ledger(path: path)
            try ledger.createJob(name: "j", id: "id-1", directory: "/jobs/j", config: "{}", slots: [("a", 0), ("a", 1), ("b", 0)])
            try ledger.start(job: "j", task: "a", attempt: 0, trialName: "a__1")
            try ledger.finish(job: "j", task: "a", attempt: 0, reward: 1, exceptionType: nil)
            try ledger.start(job: "j", task: "a", attempt: 1, trialName: "a__2")
            try ledger.retried(job: "j", task: "a", attempt: 1)
        }
        let ledger = try Ledger(path: path)
        #expect(try ledger.job("j")?.jobID == "id-1")
        let slots = try ledger.slots(job: "j")
        #expect(slots.map(\.status) == [.done, .running, .pending])
        #expect(slots[0].reward == 1)
        #expect(slots[1].trialName == "a__2")
        #expect(slots[1].retries == 1)
        try ledger.reset(job: "j", task: "a", attempt: 1)
        #expect(try ledger.slots(job: "j")[1].status == .pending)
        try ledger.deleteJob("j")
        #expect(try ledger.job("j") == nil)
        #expect(try ledger.slots(job: "j").isEmpty)
    }

    @Test func aJobNameIsCreatedOnce() throws {
        let path = FileManager.default.temporaryDirectory.path + "/aa-ledger-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let ledger = try Ledger(path: path)
        try ledger.createJob(name: "j", id: "1", directory: "/x", config: "{}", slots: [("a", 0)])
        #expect(throws: SQLiteDatabase.Failure.self) {
            try ledger.createJob(name: "j", id: "2", directory: "/x", config: "{}", slots: [("a", 0)])
        }
        #expect(try ledger.job("j")?.jobID == "1")
    }
}
