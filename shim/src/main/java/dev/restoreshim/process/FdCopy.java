package dev.restoreshim.process;

import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.SysException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies bytes from one fd to another on a platform thread (reads block in native code, which
 * would pin a virtual thread's carrier). The source is polled with a short timeout so
 * {@link #stop()} ends the loop within that time; EOF or EIO (a pty whose other side closed)
 * ends it too. {@code onEnd} runs once when the loop ends.
 */
final class FdCopy {
    private static final Logger LOG = LoggerFactory.getLogger(FdCopy.class);
    private static final int POLL_MILLIS = 200;

    private final Thread thread;
    private volatile boolean stopped;

    FdCopy(Fds fds, int from, int to, String name, Runnable onEnd) {
        this.thread = Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                copy(fds, from, to);
            } catch (SysException e) {
                if (!stopped) {
                    LOG.debug("msg=\"copy ended\" name={} error=\"{}\"", name, e.getMessage());
                }
            } finally {
                onEnd.run();
            }
        });
    }

    private void copy(Fds fds, int from, int to) {
        byte[] buf = new byte[32 * 1024];
        while (!stopped) {
            if (!fds.awaitReadable(from, POLL_MILLIS)) {
                continue;
            }
            int n = fds.read(from, buf, 0, buf.length);
            if (n == 0) {
                return;
            }
            if (n > 0) {
                fds.write(to, buf, 0, n);
            }
        }
    }

    /** Asks the loop to end and waits up to a second for it. */
    void stop() {
        stopped = true;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code millis} for the loop to end on its own (EOF). */
    void await(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
