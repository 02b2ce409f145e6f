import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The labeller's terminal: raw mode (no echo, no line buffering, no signals from keys), the
/// alternate screen, its size, and full-screen redraws. `restore()` puts everything back; it is
/// idempotent and also runs from `deinit`.
/// `@unchecked Sendable`: `saved` and `active` change only under `lock`.
final class LabelTerminal: @unchecked Sendable {
    private var saved = termios()
    private var active = false
    private let lock = NSLock()

    /// Whether standard input and output are terminals.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Enters raw mode and the alternate screen.
    init() throws {
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw CLIFailure(1, "label: cannot read the terminal settings (\(String(cString: strerror(errno))))") }
        var raw = saved
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
            bytes[Int(VMIN)] = 1
            bytes[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { throw CLIFailure(1, "label: cannot switch the terminal to raw mode") }
        active = true
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    deinit { restore() }

    /// Leaves the alternate screen and restores the saved settings.
    func restore() {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return }
        active = false
        write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
    }

    /// Columns and rows (80 × 24 when unknown).
    static func size() -> (columns: Int, rows: Int) {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return (Int(size.ws_col), Int(size.ws_row))
        }
        return (80, 24)
    }

    /// Draws `lines` from the top-left corner, clearing the rest of each line and of the screen.
    func draw(_ lines: [String]) {
        var frame = "\u{1B}[H"
        for (index, line) in lines.enumerated() {
            frame += line + "\u{1B}[K"
            if index < lines.count - 1 { frame += "\r\n" }
        }
        frame += "\u{1B}[J"
        write(frame)
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { if errno == EINTR { continue }; return }
            offset += written
        }
    }
}

/// Reads standard input on a thread of its own and hands over the raw bytes; `nil` at end of input.
enum LabelKeyboard {
    static func start(_ deliver: @escaping @Sendable ([UInt8]?) -> Void) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { deliver(nil); return }
                deliver(Array(buffer[0..<count]))
            }
        }
        thread.name = "balmer.label.keyboard"
        thread.start()
    }
}
