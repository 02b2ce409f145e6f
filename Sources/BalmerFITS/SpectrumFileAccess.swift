#if canImport(Glibc)
import Glibc
#endif

/// Opens and reads a spectrum file under a ``FileAccessPolicy``, never blocking on a special file:
/// the path is resolved (`realpath`) and checked against the data roots; `stat` must say regular
/// file; it is opened `O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW` (a FIFO never blocks the
/// open); `fstat` on the descriptor must again say regular file (no swap between the checks) and
/// give a size within the cap before any buffer is allocated; only then is `O_NONBLOCK` cleared
/// and the file read. Blocking: call it from a thread of your own.
///
/// Failures are ``FITSError``s whose kind tells whether a later attempt may succeed: ENOENT is
/// ``FITSError/Kind/missing``; EIO, ESTALE, EAGAIN, EINTR, EACCES and EPERM are
/// ``FITSError/Kind/unreadableTransient``; the rest is permanent.
enum SpectrumFileAccess {
    /// The whole file in a new malloc'd buffer (the caller frees it) and its length.
    static func load(path: String, policy: FileAccessPolicy) throws -> (buffer: UnsafeMutableRawPointer, count: Int) {
        guard let resolved = FileAccessPolicy.resolve(path) else {
            throw error(errno, "resolving the path")
        }
        guard policy.permits(resolved: resolved) else {
            throw FITSError(.outsideDataRoots, "\(resolved) is outside ingest.data-roots")
        }
        var info = stat()
        guard lstat(resolved, &info) == 0 else { throw error(errno, "lstat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FITSError(.notRegularFile, "not a regular file (\(typeName(info.st_mode)))")
        }
        let descriptor = open(resolved, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw error(errno, "open") }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw error(errno, "fstat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FITSError(.notRegularFile, "not a regular file (\(typeName(info.st_mode)))")
        }
        let count = Int(info.st_size)
        guard count > 0 else { throw FITSError(.notFITS, "the file is empty") }
        guard count <= policy.maxFileBytes else {
            throw FITSError(.tooLarge, "the file has \(count) bytes, more than ingest.max-file-bytes (\(policy.maxFileBytes))")
        }
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw error(errno, "fcntl") }
        guard let buffer = malloc(count) else { throw FITSError(.tooLarge, "cannot allocate \(count) bytes") }
        var done = 0
        var interruptions = 0
        while done < count {
            let got = read(descriptor, buffer + done, count - done)
            if got < 0, errno == EINTR, interruptions < 100 { interruptions += 1; continue }
            guard got > 0 else {
                let code = errno
                free(buffer)
                if got == 0 { throw FITSError(.truncated, "the file shrank while it was read") }
                throw error(code, "read")
            }
            done += got
        }
        return (buffer, count)
    }

    /// The error for a failed system call: transient kinds for the errnos a later attempt may
    /// not see again, ``FITSError/Kind/cannotOpen`` for the rest.
    static func error(_ code: Int32, _ what: String) -> FITSError {
        let text = String(cString: strerror(code))
        switch code {
        case ENOENT:
            return FITSError(.missing, "no such file (\(what))")
        case EIO, ESTALE, EAGAIN, EINTR, EACCES, EPERM:
            return FITSError(.unreadableTransient, "\(what): \(text)")
        case ELOOP:
            return FITSError(.notRegularFile, "\(what): a symbolic link where none may be (\(text))")
        default:
            return FITSError(.cannotOpen, "\(what): \(text)")
        }
    }

    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "directory"
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFLNK: "symbolic link"
        default: "mode \(String(mode & S_IFMT, radix: 8))"
        }
    }
}
