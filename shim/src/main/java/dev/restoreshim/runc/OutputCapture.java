package dev.restoreshim.runc;

import dev.restoreshim.sys.Fds;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Drains the read end of a pipe on a platform thread (the read blocks in native code, which
 * would pin a virtual thread's carrier) until EOF, keeping at most {@link #MAX_BYTES}.
 * Owns and closes the fd.
 */
final class OutputCapture {
    static final int MAX_BYTES = 4 * 1024 * 1024;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Thread thread;

    OutputCapture(Fds fds, int readFd, String name) {
        this.thread = Thread.ofPlatform().daemon().name(name).start(() -> drain(fds, readFd));
    }

    private void drain(Fds fds, int fd) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = fds.read(fd, buf, 0, buf.length)) > 0) {
                synchronized (bytes) {
                    if (bytes.size() < MAX_BYTES) {
                        bytes.write(buf, 0, Math.min(n, MAX_BYTES - bytes.size()));
                    }
                }
            }
        } catch (RuntimeException e) {
            // the output is best effort; the exit status decides success
        } finally {
            fds.close(fd);
        }
    }

    /** Waits for EOF and returns what was read. */
    String await() throws InterruptedException {
        thread.join();
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
