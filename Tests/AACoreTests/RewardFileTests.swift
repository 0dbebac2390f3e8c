@testable import AACore
import Foundation
import Testing

@Suite struct RewardFileTests {
    func withFolder(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.path + "/aa-reward-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        try body(dir)
    }

    /// The kind of failure reading the folder gives, nil when it reads a reward.
    func failure(_ dir: String) -> TrialFailure.Kind? {
        do {
            _ = try RewardFile.read(verifierDirectory: dir)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func jsonWinsOverText() throws {
        try withFolder(["reward.json": #"{"reward": 0.25, "style": 1}"#, "reward.txt": "1"]) { (dir: String) throws in
            #expect(try RewardFile.read(verifierDirectory: dir) == ["reward": 0.25, "style": 1])
        }
    }

    @Test func textBecomesReward() throws {
        try withFolder(["reward.txt": " 1\n"]) { (dir: String) throws in
            #expect(try RewardFile.read(verifierDirectory: dir) == ["reward": 1])
        }
    }

    @Test(arguments: [
        (["reward.txt": ""], TrialFailure.Kind.rewardFileEmpty),
        (["reward.json": "  \n"], .rewardFileEmpty),
        (["reward.txt": "passed"], .verifierOutputParse),
        (["reward.json": "[1]"], .verifierOutputParse),
        (["reward.json": #"{"reward": "1"}"#], .verifierOutputParse),
        ([:], .rewardFileNotFound),
    ])
    func harborErrorTypes(files: [String: String], kind: TrialFailure.Kind) throws {
        try withFolder(files) { (dir: String) throws in
            #expect(failure(dir) == kind)
        }
    }

    @Test func symlinksAreNotFollowed() throws {
        try withFolder(["elsewhere.json": #"{"reward": 1}"#]) { (dir: String) throws in
            try FileManager.default.createSymbolicLink(atPath: dir + "/reward.json", withDestinationPath: dir + "/elsewhere.json")
            #expect(failure(dir) == .verifierOutputParse)
        }
    }
}
