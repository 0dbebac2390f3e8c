@testable import AACore
import Foundation
import Glibc
import Logging
import Testing

@Suite struct LayerCacheTests {
    @Test func halfBuiltLayersOfDeadBuildersAreRemoved() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/aa-layers-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dead = dir + "/aaaa.tmp-\(Int32.max - 7)-1"
        let live = dir + "/bbbb.tmp-\(getpid())-1"
        let done = dir + "/cccc"
        for path in [dead + "/root", live, done] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        EnvironmentBuilder.removeLeftovers(in: dir, logger: Logger(label: "test"))
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: done))
    }
}
