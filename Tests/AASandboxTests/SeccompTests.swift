@testable import AASandbox
import Testing

@Suite struct SeccompTests {
    @Test func defaultPolicyIsTwoSmallPrograms() throws {
        let programs = try Seccomp.compile(.default)
        #expect(programs.count == 2)
        for program in programs {
            #expect(program.count % 8 == 0)
            #expect(program.count / 8 < 4096, "BPF_MAXINSNS is 4096")
        }
        let total = programs.reduce(0) { $0 + $1.count / 8 }
        #expect(total < 700, "\(total) instructions: the kernel compiles them for every sandbox")
    }

    @Test func unknownSyscallsAnswerENOSYS() throws {
        let program = Seccomp.enosysAbove(469, [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f])
        #expect(program.count == 7 * 8)
        // Instruction 4 compares the syscall number with the highest known one.
        #expect(program[32] == 0x25 && Int(program[36]) | Int(program[37]) << 8 == 469)
        // Instruction 5 returns ENOSYS.
        #expect(program[40] == 0x06 && program[44] == 38 && program[46] == 0x05)
    }
}
