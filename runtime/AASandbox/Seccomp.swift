import CAutoAgentLinux
import CSeccomp
import Foundation
import Glibc
import SystemPackage

/// Compiles a seccomp policy into the classic BPF program that every sandboxed process gets.
///
/// The default policy answers EPERM for known but forbidden syscalls, ENOSYS for syscalls it does
/// not know (so that libc falls back, as with clone3), and kills the process on any non-native ABI.
enum Seccomp {
    static let afALG: UInt64 = 38
    static let afVSOCK: UInt64 = 40
    static let namespaceFlags: [UInt64] = [
        0x0002_0000, // CLONE_NEWNS
        0x0200_0000, // CLONE_NEWCGROUP
        0x0400_0000, // CLONE_NEWUTS
        0x0800_0000, // CLONE_NEWIPC
        0x1000_0000, // CLONE_NEWUSER
        0x2000_0000, // CLONE_NEWPID
        0x4000_0000, // CLONE_NEWNET
        0x0000_0080, // CLONE_NEWTIME
    ]
    static let tiocsti: UInt64 = 0x5412
    static let tioclinux: UInt64 = 0x541C
    static let personalities: [UInt64] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff]

    static func errnoAction(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xffff) }
    static let allow: UInt32 = 0x7fff_0000
    static let killProcess: UInt32 = 0x8000_0000

    /// The BPF program (struct sock_filter[] bytes) of a policy; empty for `.disabled`.
    static func compile(_ policy: SandboxSpec.SeccompPolicy) throws(SandboxError) -> [UInt8] {
        switch policy {
        case .disabled:
            return []
        case .default:
            return try build(defaultAction: errnoAction(ENOSYS)) { rules throws(SandboxError) in
                try defaultRules(&rules)
            }
        case .profile(let path):
            let profile = try SeccompProfileFile.load(path)
            return try build(defaultAction: profile.defaultAction) { rules throws(SandboxError) in
                try profile.apply(&rules)
            }
        }
    }

    /// A libseccomp filter under construction.
    struct Rules: ~Copyable {
        let ctx: scmp_filter_ctx

        func number(_ name: String) -> Int32? {
            let nr = seccomp_syscall_resolve_name(name)
            return nr == __NR_SCMP_ERROR ? nil : nr
        }

        func add(_ action: UInt32, _ nr: Int32, _ conditions: [scmp_arg_cmp] = [], what: String) throws(SandboxError) {
            let rc = conditions.withUnsafeBufferPointer { buf in
                seccomp_rule_add_array(ctx, action, nr, UInt32(buf.count), buf.baseAddress)
            }
            if rc < 0 {
                throw SandboxError(.seccompFailed, step: "seccomp_rule_add", detail: what, underlying: .init(rawValue: -rc))
            }
        }

        func add(_ action: UInt32, _ name: String, _ conditions: [scmp_arg_cmp] = []) throws(SandboxError) {
            guard let nr = number(name) else { return } // not a syscall on this architecture
            try add(action, nr, conditions, what: name)
        }
    }

    static func masked32(_ arg: UInt32, _ value: UInt64) -> scmp_arg_cmp {
        scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: 0xffff_ffff, datum_b: value)
    }

    static func defaultRules(_ rules: inout Rules) throws(SandboxError) {
        let eperm = errnoAction(EPERM)
        for name in SeccompProfileData.allowed { try rules.add(allow, name) }
        for (name, nr) in SeccompProfileData.allowedByNumber { try rules.add(allow, nr, what: name) }
        // clone3 is left to the default action, ENOSYS, so that libc falls back to clone, which is filtered.
        for name in SeccompProfileData.denied where name != "clone3" { try rules.add(eperm, name) }
        for (name, nr) in SeccompProfileData.deniedByNumber { try rules.add(eperm, nr, what: name) }
        // clone: no namespace flags.
        let allNamespaces = namespaceFlags.reduce(0, |)
        try rules.add(allow, "clone", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: allNamespaces, datum_b: 0)])
        for flag in namespaceFlags {
            try rules.add(eperm, "clone", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: flag, datum_b: flag)])
        }
        // socket: every family but AF_ALG and AF_VSOCK.
        try rules.add(eperm, "socket", [masked32(0, afALG)])
        try rules.add(eperm, "socket", [masked32(0, afVSOCK)])
        for cmp in complement32(of: [afALG, afVSOCK], arg: 0) { try rules.add(allow, "socket", [cmp]) }
        // ioctl: no terminal input injection.
        try rules.add(eperm, "ioctl", [masked32(1, tiocsti)])
        try rules.add(eperm, "ioctl", [masked32(1, tioclinux)])
        for cmp in complement32(of: [tiocsti, tioclinux], arg: 1) { try rules.add(allow, "ioctl", [cmp]) }
        // personality: only the harmless values Docker allows.
        for value in personalities { try rules.add(allow, "personality", [masked32(0, value)]) }
        for cmp in complement32(of: personalities, arg: 0) { try rules.add(eperm, "personality", [cmp]) }
    }

    /// Comparisons that together match every 32-bit value of an argument except `values`, as
    /// masked-equality tests on bit prefixes (libseccomp has no "not equal" that composes). The
    /// kernel reads these arguments as 32-bit ints, so upper bits are ignored, as it does.
    static func complement32(of values: [UInt64], arg: UInt32) -> [scmp_arg_cmp] {
        var out: [scmp_arg_cmp] = []
        func walk(_ members: [UInt64], mask: UInt64, prefix: UInt64, bit: Int) {
            guard bit >= 0 else { return }
            let b = UInt64(1) << UInt64(bit)
            for side in [UInt64(0), b] {
                let sub = members.filter { $0 & b == side }
                if sub.isEmpty {
                    out.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: mask | b, datum_b: prefix | side))
                } else {
                    walk(sub, mask: mask | b, prefix: prefix | side, bit: bit - 1)
                }
            }
        }
        walk(Array(Set(values.map { $0 & 0xffff_ffff })), mask: 0, prefix: 0, bit: 31)
        return out
    }

    private static func build(defaultAction: UInt32, _ body: (inout Rules) throws(SandboxError) -> Void) throws(SandboxError) -> [UInt8] {
        guard let ctx = seccomp_init(defaultAction) else {
            throw SandboxError(.seccompFailed, step: "seccomp_init")
        }
        defer { seccomp_release(ctx) }
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, killProcess)
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        var rules = Rules(ctx: ctx)
        try body(&rules)
        var fds: [Int32] = [0, 0]
        guard aal_pipe2(&fds, O_CLOEXEC) == 0 else {
            throw SandboxError(.seccompFailed, step: "pipe2", underlying: .init(rawValue: errno))
        }
        defer { close(fds[0]) }
        let rc = seccomp_export_bpf(ctx, fds[1])
        close(fds[1])
        if rc < 0 { throw SandboxError(.seccompFailed, step: "seccomp_export_bpf", underlying: .init(rawValue: -rc)) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
