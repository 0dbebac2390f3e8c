import CSeccomp
import Glibc

/// The default policy as one small classic BPF program, written directly instead of through
/// libseccomp: the syscall numbers up to the highest known one fall into runs that share an
/// action, and a binary search over the runs' boundaries picks the run. The kernel converts,
/// JIT-compiles and caches the program for every sandbox, so its size is paid on every launch (418
/// instructions from libseccomp's tree, about 150 this way).
///
/// Decisions, in order: a non-x86-64 ABI (i386, x32) kills the process (number -1 answers EPERM, as
/// with libseccomp); numbers above the highest
/// known syscall answer ENOSYS (as runc does for syscalls newer than its profile), and so does
/// clone3 (libc then falls back to clone, whose flags a filter can see); clone without namespace
/// flags and personality with one of Docker's values are allowed, and so are socket and ioctl but
/// for AF_ALG/AF_VSOCK sockets and terminal input injection (TIOCSTI, TIOCLINUX), compared on the low
/// 32 bits as the kernel reads these int arguments; the allowed list is allowed; everything else
/// answers EPERM.
enum SeccompAllowlist {
    /// What one syscall number gets.
    enum Leaf: Equatable {
        case allow, eperm, enosys, clone, personality, socket, ioctl
    }

    static let auditArchX8664: UInt32 = 0xC000_003E
    static let x32Bit: UInt32 = 0x4000_0000

    /// The program (struct sock_filter[] bytes).
    static func program() throws(SandboxError) -> [UInt8] {
        let (leaves, maxKnown) = try table()
        var runs: [(low: Int32, leaf: Leaf)] = []
        for nr in 0...maxKnown {
            let leaf = leaves[nr] ?? .eperm
            if runs.last?.leaf != leaf { runs.append((nr, leaf)) }
        }
        var out = Program()
        out.load(offset: 4)                                   // arch
        out.jump(BPF.jeq, auditArchX8664, ifTrue: 1, ifFalse: 0)
        out.ret(Seccomp.killProcess)
        out.load(offset: 0)                                   // syscall number
        out.jump(BPF.jge, x32Bit, ifTrue: 0, ifFalse: 3)      // the x32 ABI sets this bit …
        out.jump(BPF.jeq, 0xffff_ffff, ifTrue: 1, ifFalse: 0) // … but -1 (a tracer's skipped call) is no ABI
        out.ret(Seccomp.killProcess)
        out.ret(Seccomp.errnoAction(EPERM))
        out.jump(BPF.jgt, UInt32(maxKnown), ifTrue: 0, ifFalse: 1)
        out.ret(Seccomp.errnoAction(ENOSYS))
        try out.append(search(runs[...]))
        return out.bytes
    }

    /// Number → leaf for every syscall the policy names, and the highest known number.
    static func table() throws(SandboxError) -> ([Int32: Leaf], Int32) {
        func number(_ name: String) -> Int32? {
            let nr = seccomp_syscall_resolve_name(name)
            return nr == __NR_SCMP_ERROR ? nil : nr
        }
        var leaves: [Int32: Leaf] = [:]
        var maxKnown: Int32 = 0
        for name in SeccompProfileData.allowed + SeccompProfileData.denied {
            if let nr = number(name) { maxKnown = max(maxKnown, nr) }
        }
        for (_, nr) in SeccompProfileData.allowedByNumber + SeccompProfileData.deniedByNumber { maxKnown = max(maxKnown, nr) }
        for name in SeccompProfileData.allowed {
            if let nr = number(name) { leaves[nr] = .allow }
        }
        for (_, nr) in SeccompProfileData.allowedByNumber { leaves[nr] = .allow }
        for (name, leaf) in [("clone3", Leaf.enosys), ("clone", .clone), ("socket", .socket), ("ioctl", .ioctl), ("personality", .personality)] {
            guard let nr = number(name) else {
                throw SandboxError(.seccompFailed, step: "seccomp_syscall_resolve_name", detail: name)
            }
            leaves[nr] = leaf
        }
        return (leaves, maxKnown)
    }

    /// A binary search over runs (the number in A): each node sends numbers at or above the upper
    /// half's first number past the lower half's code.
    private static func search(_ runs: ArraySlice<(low: Int32, leaf: Leaf)>) throws(SandboxError) -> Program {
        if runs.count == 1 { return code(runs.first!.leaf) }
        let middle = runs.startIndex + runs.count / 2
        let lower = try search(runs[..<middle])
        let upper = try search(runs[middle...])
        guard lower.count <= 255 else {
            throw SandboxError(.seccompFailed, step: "allowlist", detail: "a jump over \(lower.count) instructions")
        }
        var out = Program()
        out.jump(BPF.jge, UInt32(runs[middle].low), ifTrue: UInt8(lower.count), ifFalse: 0)
        try out.append(lower)
        try out.append(upper)
        return out
    }

    /// The instructions that decide one run.
    private static func code(_ leaf: Leaf) -> Program {
        var out = Program()
        switch leaf {
        case .allow: out.ret(Seccomp.allow)
        case .eperm: out.ret(Seccomp.errnoAction(EPERM))
        case .enosys: out.ret(Seccomp.errnoAction(ENOSYS))
        case .clone:
            // The flags are clone's first argument; only their low 32 bits hold namespace flags.
            out.load(offset: 16)
            out.jump(BPF.jset, UInt32(Seccomp.namespaceFlags.reduce(0, |)), ifTrue: 1, ifFalse: 0)
            out.ret(Seccomp.allow)
            out.ret(Seccomp.errnoAction(EPERM))
        case .personality:
            // The kernel reads personality's argument as a 32-bit int.
            out.load(offset: 16)
            let values = Seccomp.personalities
            for (i, value) in values.enumerated() {
                out.jump(BPF.jeq, UInt32(truncatingIfNeeded: value), ifTrue: UInt8(values.count - i), ifFalse: 0)
            }
            out.ret(Seccomp.errnoAction(EPERM))
            out.ret(Seccomp.allow)
        case .socket:
            refuse(&out, argumentOffset: 16, [Seccomp.afALG, Seccomp.afVSOCK]) // the address family
        case .ioctl:
            refuse(&out, argumentOffset: 24, [Seccomp.tiocsti, Seccomp.tioclinux]) // the request
        }
        return out
    }

    /// EPERM when the argument's low 32 bits are one of values, else allowed.
    private static func refuse(_ out: inout Program, argumentOffset: UInt32, _ values: [UInt64]) {
        out.load(offset: argumentOffset)
        for (i, value) in values.enumerated() {
            out.jump(BPF.jeq, UInt32(truncatingIfNeeded: value), ifTrue: UInt8(values.count - i), ifFalse: 0)
        }
        out.ret(Seccomp.allow)
        out.ret(Seccomp.errnoAction(EPERM))
    }

    enum BPF {
        static let ldAbsW: UInt16 = 0x20
        static let jeq: UInt16 = 0x15
        static let jgt: UInt16 = 0x25
        static let jge: UInt16 = 0x35
        static let jset: UInt16 = 0x45
        static let ret: UInt16 = 0x06
    }

    /// Classic BPF instructions under construction.
    struct Program {
        private(set) var bytes: [UInt8] = []
        var count: Int { bytes.count / 8 }

        mutating func instruction(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) {
            bytes += [UInt8(code & 0xff), UInt8(code >> 8), jt, jf, UInt8(k & 0xff), UInt8((k >> 8) & 0xff), UInt8((k >> 16) & 0xff), UInt8(k >> 24)]
        }

        mutating func load(offset: UInt32) { instruction(BPF.ldAbsW, 0, 0, offset) }
        mutating func jump(_ code: UInt16, _ k: UInt32, ifTrue: UInt8, ifFalse: UInt8) { instruction(code, ifTrue, ifFalse, k) }
        mutating func ret(_ action: UInt32) { instruction(BPF.ret, 0, 0, action) }

        mutating func append(_ other: Program) throws(SandboxError) {
            guard count + other.count <= 4096 else {
                throw SandboxError(.seccompFailed, step: "allowlist", detail: "more than 4096 instructions")
            }
            bytes += other.bytes
        }
    }
}
