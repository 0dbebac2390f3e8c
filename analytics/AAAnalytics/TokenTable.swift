/// Interns byte strings as dense ids (0, 1, 2 …) without allocating per lookup: an open-addressing
/// hash table over a byte arena whose slots keep a token's first eight bytes, so that most
/// lookups read one slot. The template miner turns every masked token into an id with it.
struct TokenTable: Sendable {
    /// A slot: the token's first eight bytes (zero-padded) and `info`: 0 when empty, else the
    /// high 24 bits of the hash, the length (up to 255) and id + 1.
    private struct Slot: Sendable {
        var head: UInt64
        var info: UInt64
    }

    private var arena: [UInt8] = []
    /// Per id: where its bytes start in the arena, how many there are, and its hash.
    private var spans: [(start: Int, count: Int)] = []
    private var hashes: [UInt64] = []
    private var slots = [Slot](repeating: Slot(head: 0, info: 0), count: 1024)

    var count: Int { spans.count }

    /// The id of the bytes, adding them if new. Eight bytes after the token must be readable
    /// (their values do not matter).
    @inline(__always) mutating func intern(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let n = token.count
        let p = UnsafeRawPointer(token.baseAddress!)
        let head = Self.word(p, n)
        let hash = Self.hash(head: head, p, n)
        let key = hash & 0xffff_ff00_0000_0000 | UInt64(min(n, 255)) << 32
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[s]
            if slot.info == 0 { break }
            if slot.info & 0xffff_ffff_0000_0000 == key, slot.head == head {
                let id = Int(truncatingIfNeeded: slot.info & 0xffff_ffff) - 1
                if n <= 8 || tailEqual(id, p, n) { return Int32(id) }
            }
            s = (s + 1) & mask
        }
        let id = spans.count
        spans.append((arena.count, n))
        hashes.append(hash)
        arena.append(contentsOf: token)
        slots[s] = Slot(head: head, info: key | UInt64(id + 1))
        if spans.count * 2 > slots.count { grow() }
        return Int32(id)
    }

    /// The bytes of an id as a string.
    func string(_ id: Int32) -> String {
        let span = spans[Int(id)]
        return arena.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[span.start..<(span.start + span.count)]), as: UTF8.self) }
    }

    /// Whether bytes 8..<n of the token equal those of an id of the same length and head.
    private func tailEqual(_ id: Int, _ p: UnsafeRawPointer, _ n: Int) -> Bool {
        let start = spans[id].start
        guard spans[id].count == n else { return false }
        return arena.withUnsafeBytes { a in
            var i = 8
            while i + 8 <= n {
                if a.loadUnaligned(fromByteOffset: start + i, as: UInt64.self) != p.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            while i < n {
                if a[start + i] != p.load(fromByteOffset: i, as: UInt8.self) { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func grow() {
        var bigger = [Slot](repeating: Slot(head: 0, info: 0), count: slots.count * 2)
        let mask = bigger.count - 1
        for slot in slots where slot.info != 0 {
            var s = Int(truncatingIfNeeded: hashes[Int(slot.info & 0xffff_ffff) - 1]) & mask
            while bigger[s].info != 0 { s = (s + 1) & mask }
            bigger[s] = slot
        }
        slots = bigger
    }

    /// Up to eight bytes from p as a little-endian word, zero beyond n (reads eight bytes).
    @inline(__always) private static func word(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        guard n > 0 else { return 0 }
        let w = p.loadUnaligned(as: UInt64.self)
        return n >= 8 ? w : w & (UInt64.max >> (64 - 8 * n))
    }

    /// A multiply-mix hash over 8-byte words, with a final mix so the low bits spread.
    @inline(__always) private static func hash(head: UInt64, _ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h = (UInt64(n) &* 0x9e37_79b9_7f4a_7c15 ^ head) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 29
        var i = 8
        while i < n {
            h = (h ^ word(p + i, n - i)) &* 0xc4ce_b9fe_1a85_ec53
            h ^= h >> 29
            i += 8
        }
        h = h &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 32)
    }
}
