package dev.restoreshim.archive;

/**
 * CRIU's dump statistics from {@code stats-dump} (what {@code checkpointctl inspect --stats} shows).
 *
 * @param freezingTimeUs time to freeze the process tree, microseconds
 * @param frozenTimeUs time the tree stayed frozen, microseconds
 * @param memdumpTimeUs time to collect memory, microseconds
 * @param memwriteTimeUs time to write memory, microseconds
 * @param pagesScanned pages looked at
 * @param pagesWritten pages written to {@code pages-*.img}
 */
public record DumpStats(long freezingTimeUs, long frozenTimeUs, long memdumpTimeUs, long memwriteTimeUs,
                        long pagesScanned, long pagesWritten) {
}
