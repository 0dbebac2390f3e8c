@testable import AASandbox
import CSeccomp
import Testing

@Suite struct SeccompTests {
    @Test func defaultPolicyFitsTheKernelLimit() throws {
        let program = try Seccomp.compile(.default)
        #expect(program.count % 8 == 0)
        let instructions = program.count / 8
        #expect(instructions > 100)
        #expect(instructions < 4096, "BPF_MAXINSNS is 4096")
        print("default seccomp program: \(instructions) instructions")
    }

    @Test func complementCoversEverythingButTheValues() {
        let excluded: [UInt64] = [0x5412, 0x541C]
        let cmps = Seccomp.complement32(of: excluded, arg: 1)
        func matches(_ v: UInt64) -> Bool {
            cmps.contains { (v & $0.datum_a) == $0.datum_b }
        }
        for v: UInt64 in [0, 1, 0x5411, 0x5413, 0x541B, 0x541D, 0xffff_ffff, 0x8000_0000] { #expect(matches(v)) }
        for v in excluded { #expect(!matches(v)) }
        #expect(!matches(0x1_0000_5412 & 0xffff_ffff))
    }
}
