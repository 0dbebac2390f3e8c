@testable import AASandbox
import CSeccomp
import Glibc
import Testing

@Suite struct SeccompTests {
    @Test func defaultPolicyIsOneSmallProgram() throws {
        let programs = try Seccomp.compile(.default)
        #expect(programs.count == 1)
        for program in programs {
            #expect(program.count % 8 == 0)
            #expect(program.count / 8 < 4096, "BPF_MAXINSNS is 4096")
        }
        let total = programs.reduce(0) { $0 + $1.count / 8 }
        #expect(total < 250, "\(total) instructions: the kernel compiles them for every sandbox")
    }

    /// The written program decides every syscall number, ABI and checked argument exactly as the same
    /// rules compiled by libseccomp do: an allowlist (with runc's ENOSYS for numbers above the known
    /// ones) stacked with an argument guard, combined the way the kernel combines two filters.
    @Test func writtenProgramDecidesLikeLibseccomp() throws {
        let program = try SeccompAllowlist.program()
        let (leaves, maxKnown) = try SeccompAllowlist.table()
        let reference = try libseccompReference(leaves, maxKnown: maxKnown)
        let guardProgram = try libseccompGuard()
        let i386: UInt32 = 0x4000_0003
        let x8664 = SeccompAllowlist.auditArchX8664
        var inputs: [Input] = []
        for nr in UInt32(0)...UInt32(maxKnown + 40) { inputs.append(Input(x8664, nr)) }
        for nr: UInt32 in [0, 1, 16, 41, 56, 120, 135, 435, 0x4000_0000, 0x4000_0001, 0x4000_0038, 0xffff_ffff] {
            inputs.append(Input(x8664, nr))
            inputs.append(Input(i386, nr))
        }
        let cloneNumber = UInt32(seccomp_syscall_resolve_name("clone"))
        let personalityNumber = UInt32(seccomp_syscall_resolve_name("personality"))
        var flags: [UInt64] = [0x11, 0x0100_0000 | 0x11, 0xffff_ffff, 0xffff_ffff_0000_0000, 0x1_0000_0011]
        for flag in Seccomp.namespaceFlags { flags += [flag, flag | 0x11, flag | 0xffff_ffff_0000_0000] }
        for arg in flags { inputs.append(Input(x8664, cloneNumber, arg)) }
        var personas: [UInt64] = [1, 7, 9, 0x20001, 0xffff_fffe, 0x1_0000_0000, 0xffff_ffff_0000_0008]
        for value in Seccomp.personalities { personas += [value, value | 0xffff_ffff_0000_0000] }
        for arg in personas { inputs.append(Input(x8664, personalityNumber, arg)) }
        let socketNumber = UInt32(seccomp_syscall_resolve_name("socket"))
        for family: UInt64 in [0, 1, 2, 10, 16, 37, 38, 39, 40, 41, 38 | 0x1_0000_0000, 40 | 0xffff_ffff_0000_0000] {
            inputs.append(Input(x8664, socketNumber, family))
        }
        let ioctlNumber = UInt32(seccomp_syscall_resolve_name("ioctl"))
        for request: UInt64 in [0, 0x5401, 0x5412, 0x5413, 0x541C, 0x541D, 0x5412 | 0x1_0000_0000, 0x541C | 0xffff_ffff_0000_0000] {
            inputs.append(Input(x8664, ioctlNumber, 0, request))
        }
        for input in inputs {
            let mine = run(program, input)
            let theirs = combined(run(reference, input), run(guardProgram, input))
            #expect(mine != nil && mine == theirs, "\(input): \(String(describing: mine)) vs libseccomp's \(String(describing: theirs))")
        }
        #expect(run(program, Input(x8664, UInt32(maxKnown + 1))) == Seccomp.errnoAction(ENOSYS))
        #expect(run(program, Input(x8664, UInt32(seccomp_syscall_resolve_name("mount")))) == Seccomp.errnoAction(EPERM))
        #expect(run(program, Input(x8664, UInt32(seccomp_syscall_resolve_name("read")))) == Seccomp.allow)
        #expect(run(program, Input(x8664, socketNumber, 40)) == Seccomp.errnoAction(EPERM))
        #expect(run(program, Input(i386, 3)) == Seccomp.killProcess)
    }

    struct Input: CustomStringConvertible {
        var arch: UInt32
        var nr: UInt32
        var arg0: UInt64 = 0
        var arg1: UInt64 = 0
        init(_ arch: UInt32, _ nr: UInt32, _ arg0: UInt64 = 0, _ arg1: UInt64 = 0) {
            self.arch = arch
            self.nr = nr
            self.arg0 = arg0
            self.arg1 = arg1
        }
        var description: String { "arch \(arch) nr \(nr) arg0 \(arg0) arg1 \(arg1)" }
    }

    /// What the kernel returns for two stacked filters: the later one runs first, and the other's
    /// action replaces it only when it takes precedence (KILL_PROCESS, then lower action values).
    func combined(_ first: UInt32?, _ later: UInt32?) -> UInt32? {
        guard let first, let later else { return nil }
        var action = Seccomp.allow
        for current in [later, first] where Int32(bitPattern: current & 0xffff_0000) < Int32(bitPattern: action & 0xffff_0000) {
            action = current
        }
        return action
    }

    static func masked32(_ arg: UInt32, _ value: UInt64) -> scmp_arg_cmp {
        scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: 0xffff_ffff, datum_b: value)
    }

    /// EPERM for AF_ALG/AF_VSOCK sockets and TIOCSTI/TIOCLINUX ioctls on the low 32 bits, through libseccomp.
    func libseccompGuard() throws -> [UInt8] {
        let ctx = try #require(seccomp_init(Seccomp.allow))
        defer { seccomp_release(ctx) }
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, Seccomp.killProcess)
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
        for family in [Seccomp.afALG, Seccomp.afVSOCK] {
            var cmp = [Self.masked32(0, family)]
            #expect(seccomp_rule_add_array(ctx, Seccomp.errnoAction(EPERM), seccomp_syscall_resolve_name("socket"), 1, &cmp) == 0)
        }
        for request in [Seccomp.tiocsti, Seccomp.tioclinux] {
            var cmp = [Self.masked32(1, request)]
            #expect(seccomp_rule_add_array(ctx, Seccomp.errnoAction(EPERM), seccomp_syscall_resolve_name("ioctl"), 1, &cmp) == 0)
        }
        return try export(ctx)
    }

    func export(_ ctx: scmp_filter_ctx) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        #expect(seccomp_export_bpf(ctx, fds[1]) == 0)
        close(fds[1])
        var body: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            body += chunk[0..<n]
        }
        return body
    }

    /// The same rules through libseccomp, prefixed the way the runtime used to: numbers above
    /// maxKnown answer ENOSYS, everything else goes to libseccomp's program.
    func libseccompReference(_ leaves: [Int32: SeccompAllowlist.Leaf], maxKnown: Int32) throws -> [UInt8] {
        let ctx = try #require(seccomp_init(Seccomp.errnoAction(EPERM)))
        defer { seccomp_release(ctx) }
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, Seccomp.killProcess)
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
        for (nr, leaf) in leaves {
            switch leaf {
            case .allow, .socket, .ioctl: #expect(seccomp_rule_add_array(ctx, Seccomp.allow, nr, 0, nil) == 0)
            case .eperm: break
            case .enosys: #expect(seccomp_rule_add_array(ctx, Seccomp.errnoAction(ENOSYS), nr, 0, nil) == 0)
            case .clone:
                var cmp = [scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: Seccomp.namespaceFlags.reduce(0, |), datum_b: 0)]
                #expect(seccomp_rule_add_array(ctx, Seccomp.allow, nr, 1, &cmp) == 0)
            case .personality:
                for value in Seccomp.personalities {
                    var cmp = [Self.masked32(0, value)]
                    #expect(seccomp_rule_add_array(ctx, Seccomp.allow, nr, 1, &cmp) == 0)
                }
            }
        }
        let body = try export(ctx)
        var prefix = SeccompAllowlist.Program()
        prefix.load(offset: 4)
        prefix.jump(SeccompAllowlist.BPF.jeq, SeccompAllowlist.auditArchX8664, ifTrue: 0, ifFalse: 4) // other ABIs: libseccomp's
        prefix.load(offset: 0)
        prefix.jump(SeccompAllowlist.BPF.jge, SeccompAllowlist.x32Bit, ifTrue: 2, ifFalse: 0)       // x32: libseccomp's
        prefix.jump(SeccompAllowlist.BPF.jgt, UInt32(maxKnown), ifTrue: 0, ifFalse: 1)
        prefix.ret(Seccomp.errnoAction(ENOSYS))
        return prefix.bytes + body
    }

    /// A classic BPF interpreter for the instructions these programs use; nil for anything else.
    func run(_ program: [UInt8], _ input: Input) -> UInt32? {
        func word(_ offset: UInt32) -> UInt32? {
            switch offset {
            case 0: return input.nr
            case 4: return input.arch
            case 16: return UInt32(truncatingIfNeeded: input.arg0)
            case 20: return UInt32(truncatingIfNeeded: input.arg0 >> 32)
            case 24: return UInt32(truncatingIfNeeded: input.arg1)
            case 28: return UInt32(truncatingIfNeeded: input.arg1 >> 32)
            case 8, 12, 32...60: return 0
            default: return nil
            }
        }
        var a: UInt32 = 0
        var pc = 0
        while pc * 8 + 8 <= program.count {
            let i = pc * 8
            let code = UInt16(program[i]) | UInt16(program[i + 1]) << 8
            let jt = Int(program[i + 2]), jf = Int(program[i + 3])
            let k = UInt32(program[i + 4]) | UInt32(program[i + 5]) << 8 | UInt32(program[i + 6]) << 16 | UInt32(program[i + 7]) << 24
            switch code {
            case 0x20: guard let w = word(k) else { return nil }; a = w; pc += 1
            case 0x54: a &= k; pc += 1
            case 0x05: pc += 1 + Int(k)
            case 0x15: pc += 1 + (a == k ? jt : jf)
            case 0x25: pc += 1 + (a > k ? jt : jf)
            case 0x35: pc += 1 + (a >= k ? jt : jf)
            case 0x45: pc += 1 + (a & k != 0 ? jt : jf)
            case 0x06: return k
            default: return nil
            }
        }
        return nil
    }
}
