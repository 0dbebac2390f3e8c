import Glibc

/// The server's wake pipe while SIGINT and SIGTERM stop it (a signal handler can only write to it).
nonisolated(unsafe) private var stopSignalPipe: Int32 = -1

/// The byte a stop signal writes to the server's wake pipe.
let stopSignalByte: UInt8 = 2

/// Makes SIGINT and SIGTERM stop the server as `aa-sandbox server stop` does: they write
/// `stopSignalByte` to its wake pipe.
func stopOnSignals(wakePipe: Int32) {
    stopSignalPipe = wakePipe
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { _ in
            var byte = stopSignalByte
            _ = write(stopSignalPipe, &byte, 1)
        }
    }
}

/// Gives SIGINT and SIGTERM their default action again (before the wake pipe is closed).
func restoreStopSignals() {
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    stopSignalPipe = -1
}
