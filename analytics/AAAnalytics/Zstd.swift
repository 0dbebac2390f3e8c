import CZstd

/// A zstd failure with the library's message.
public struct ZstdError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var message: String
    public var description: String { "zstd \(operation): \(message)" }

    init(_ operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    init(_ operation: String, code: Int) {
        self.operation = operation
        self.message = String(cString: ZSTD_getErrorName(code))
    }
}

/// One-shot zstd compression and decompression of byte buffers (frames with a content size).
public enum Zstd {
    /// Compresses bytes into one zstd frame at the given level (1 fast … 19 small); with
    /// `checksum` the frame carries a content checksum that decompression verifies.
    public static func compress(_ input: [UInt8], level: Int32 = 3, checksum: Bool = false) throws(ZstdError) -> [UInt8] {
        guard let cctx = ZSTD_createCCtx() else { throw ZstdError("compress", message: "cannot allocate a context") }
        defer { ZSTD_freeCCtx(cctx) }
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0)
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { inp in
                ZSTD_compress2(cctx, out.baseAddress, out.count, inp.baseAddress, inp.count)
            }
        }
        if ZSTD_isError(written) != 0 { throw ZstdError("compress", code: written) }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses one or more concatenated zstd frames; `limit` bounds the output size.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws(ZstdError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw ZstdError("decompress", message: "cannot allocate a stream") }
        defer { ZSTD_freeDStream(stream) }
        var result: [UInt8] = []
        let hint = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if hint < UInt64(limit) { result.reserveCapacity(Int(hint)) }
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var failure: Int = 0
        input.withUnsafeBytes { inp in
            var inBuf = ZSTD_inBuffer(src: inp.baseAddress, size: inp.count, pos: 0)
            while inBuf.pos < inBuf.size {
                let (rc, produced) = chunk.withUnsafeMutableBytes { out -> (Int, Int) in
                    var outBuf = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let rc = ZSTD_decompressStream(stream, &outBuf, &inBuf)
                    return (rc, outBuf.pos)
                }
                if ZSTD_isError(rc) != 0 { failure = rc; return }
                result.append(contentsOf: chunk[0..<produced])
                if result.count > limit { failure = -1; return }
                if produced == 0 && rc != 0 && inBuf.pos == inBuf.size { break }
            }
        }
        if failure == -1 { throw ZstdError("decompress", message: "output exceeds \(limit) bytes") }
        if failure != 0 { throw ZstdError("decompress", code: failure) }
        return result
    }
}

/// A reusable compression context, so that a writer of many small frames does not set one up per frame.
public final class ZstdCompressor {
    private let cctx: OpaquePointer

    public init(level: Int32 = 3, checksum: Bool = false) throws(ZstdError) {
        guard let cctx = ZSTD_createCCtx() else { throw ZstdError("compress", message: "cannot allocate a context") }
        self.cctx = cctx
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0)
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// Appends one zstd frame holding input to output.
    public func compress(_ input: [UInt8], appendingTo output: inout [UInt8]) throws(ZstdError) {
        let start = output.count
        let bound = ZSTD_compressBound(input.count)
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { inp in
                ZSTD_compress2(cctx, out.baseAddress! + start, bound, inp.baseAddress, inp.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            output.removeSubrange(start...)
            throw ZstdError("compress", code: written)
        }
        output.removeSubrange((start + written)...)
    }
}

/// A reusable decompression context for many small frames.
public final class ZstdDecompressor {
    private let dctx: OpaquePointer

    public init() throws(ZstdError) {
        guard let dctx = ZSTD_createDCtx() else { throw ZstdError("decompress", message: "cannot allocate a context") }
        self.dctx = dctx
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// Decompresses one frame that records its content size (falling back to streaming when it does not).
    public func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(ZstdError) -> [UInt8] {
        let size = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size <= UInt64(limit) else {
            if size == ZSTD_CONTENTSIZE_ERROR { throw ZstdError("decompress", message: "not a zstd frame") }
            if size == ZSTD_CONTENTSIZE_UNKNOWN { return try Zstd.decompress(Array(input), limit: limit) }
            throw ZstdError("decompress", message: "output exceeds \(limit) bytes")
        }
        var failure = 0
        let result = [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, count in
            let n = input.withUnsafeBytes { inp in
                ZSTD_decompressDCtx(dctx, buffer.baseAddress, buffer.count, inp.baseAddress, inp.count)
            }
            if ZSTD_isError(n) != 0 { failure = n; count = 0 } else { count = n }
        }
        if failure != 0 { throw ZstdError("decompress", code: failure) }
        return result
    }
}
