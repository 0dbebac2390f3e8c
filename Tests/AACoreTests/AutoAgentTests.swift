import AACore
import Testing

@Suite struct AutoAgentTests {
    @Test func versionIsSemantic() {
        let parts = AutoAgent.version.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
