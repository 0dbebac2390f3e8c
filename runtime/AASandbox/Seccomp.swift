import CAutoAgentLinux
import CSeccomp
import Glibc
import SystemPackage

/// Compiles a seccomp policy into the classic BPF programs that every sandboxed process gets.
///
/// The default policy is one small program (`SeccompAllowlist`), so that the kernel compiles it
/// quickly for every sandbox: an allowlist that answers EPERM for known but forbidden syscalls and
/// ENOSYS for syscalls newer than it knows and for clone3 (so that libc falls back to clone, whose
/// flags are checked), refuses AF_ALG/AF_VSOCK sockets and terminal input injection, and kills the
/// process on any non-native ABI. A profile file is compiled with libseccomp.
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

    /// The BPF programs (struct sock_filter[] bytes each) of a policy, installed in order; none for
    /// `.disabled`.
    static func compile(_ policy: SandboxSpec.SeccompPolicy) throws(SandboxError) -> [[UInt8]] {
        switch policy {
        case .disabled:
            return []
        case .default:
            return [try SeccompAllowlist.program()]
        case .profile(let path):
            let profile = try SeccompProfileFile.load(path)
            return [try build(defaultAction: profile.defaultAction) { rules throws(SandboxError) in
                try profile.apply(&rules)
            }]
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
