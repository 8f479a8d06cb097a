package dev.restoreshim.restore;

import dev.restoreshim.sys.PageCache;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the kernel to read a restore's page images ahead ({@code POSIX_FADV_WILLNEED}), in order,
 * in chunks of {@link #CHUNK} bytes, while the rest of the restore runs (Create's remaining
 * steps, the gap to Start, runc's and CRIU's setup before CRIU reads memory), so that CRIU finds
 * them in the page cache. It reads each byte once, into the same page cache CRIU then reads.
 *
 * <p>Bounded: at most {@code maxBytes} in all; {@link #close} (after {@code runc restore} returns,
 * or when the restore fails) stops it between chunks. It runs on a platform daemon thread, since
 * each advice call blocks in native code for as long as the device queue is full (a virtual
 * thread would pin its carrier for that long).
 */
final class PageReadahead implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PageReadahead.class);
    /**
     * Bytes advised per call: the EROFS mount's readahead window. The kernel reads at most
     * max(readahead window, device I/O size) per {@code POSIX_FADV_WILLNEED} call and drops the
     * rest of a larger range ({@code force_page_cache_ra}), so a larger chunk would leave gaps.
     */
    static final long CHUNK = (long) ErofsImages.READ_AHEAD_KB << 10;

    /** One range to read ahead. */
    record Range(Path file, long offset, long length) {
        Range {
            Objects.requireNonNull(file, "file");
        }
    }

    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong advised = new AtomicLong();
    private final Thread thread;

    private PageReadahead(PageCache cache, List<Range> ranges, long maxBytes, String label) {
        this.thread = Thread.ofPlatform().daemon().name("readahead").start(() -> run(cache, ranges, maxBytes, label));
    }

    /** Starts reading {@code ranges} ahead, at most {@code maxBytes}. */
    static PageReadahead start(PageCache cache, List<Range> ranges, long maxBytes, String label) {
        return new PageReadahead(cache, List.copyOf(ranges), maxBytes, label);
    }

    private void run(PageCache cache, List<Range> ranges, long maxBytes, String label) {
        long t0 = System.nanoTime();
        try {
            for (Range r : ranges) {
                for (long off = r.offset(); off < r.offset() + r.length(); off += CHUNK) {
                    long len = Math.min(CHUNK, r.offset() + r.length() - off);
                    if (stopped.get() || advised.get() + len > maxBytes) {
                        return;
                    }
                    cache.willNeed(r.file(), off, len);
                    advised.addAndGet(len);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("event=readahead_failed {} reason=\"{}\"", label, e.getMessage());
        } finally {
            LOG.debug("event=readahead_done {} bytes={} ms={} stopped={}", label, advised.get(),
                    (System.nanoTime() - t0) / 1_000_000, stopped.get());
        }
    }

    /** Bytes advised so far. */
    long advisedBytes() {
        return advised.get();
    }

    /** Waits up to {@code millis} for the readahead to finish (for tests). */
    boolean await(long millis) throws InterruptedException {
        return thread.join(java.time.Duration.ofMillis(millis));
    }

    /** Stops after the current chunk; does not wait. Idempotent. */
    @Override
    public void close() {
        stopped.set(true);
    }
}
