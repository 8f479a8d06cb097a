package dev.restoreshim.restore;

/**
 * Phase timings of one restore, in milliseconds (-1: the phase did not run, as for a directory of
 * images, which needs no index, delta or staging).
 *
 * @param indexMs opening the archive and indexing its headers
 * @param deltaMs extracting the filesystem delta into the cache (near 0 when cached)
 * @param mountMs mounting the container's overlay
 * @param stageMs preparing the CRIU images: streaming them into the staging tmpfs, or building
 *     (when not cached) the EROFS metadata and mounting the archive in place
 * @param createMs preparing the container (stdio, restore state) before Start
 * @param restoreMs {@code runc restore} (CRIU) at Start
 * @param totalMs from the Create call to the end of Start's restore, without the time between them
 * @param deltaCached whether the delta came from the cache
 * @param stagedBytes bytes of CRIU images staged in tmpfs (0 when read in place)
 * @param tmpfsLeftBytes bytes the staging tmpfs still held when {@code runc restore} returned, right
 *     before it was unmounted (less than {@code stagedBytes} when CRIU's {@code auto-dedup} punched
 *     restored pages out); -1 when nothing was staged or not measured
 */
public record RestoreTimings(long indexMs, long deltaMs, long mountMs, long stageMs, long createMs, long restoreMs,
        long totalMs, boolean deltaCached, long stagedBytes, long tmpfsLeftBytes) {

    /** Timings before the restore ran (nothing measured in the staging tmpfs yet). */
    public RestoreTimings(long indexMs, long deltaMs, long mountMs, long stageMs, long createMs, long restoreMs,
                          long totalMs, boolean deltaCached, long stagedBytes) {
        this(indexMs, deltaMs, mountMs, stageMs, createMs, restoreMs, totalMs, deltaCached, stagedBytes, -1);
    }

    /** The phases of a directory restore, where only create and restore run. */
    static RestoreTimings forDirectory(long createMs) {
        return new RestoreTimings(-1, -1, -1, -1, createMs, -1, createMs, false, 0);
    }

    /** A copy with the restore phase measured. */
    public RestoreTimings withRestore(long ms) {
        return new RestoreTimings(indexMs, deltaMs, mountMs, stageMs, createMs, ms, totalMs + ms, deltaCached,
                stagedBytes, tmpfsLeftBytes);
    }

    /** A copy with what the staging tmpfs held when the restore returned. */
    public RestoreTimings withTmpfsLeft(long bytes) {
        return new RestoreTimings(indexMs, deltaMs, mountMs, stageMs, createMs, restoreMs, totalMs, deltaCached,
                stagedBytes, bytes);
    }

    /**
     * The phases that ran, by name ({@code index, delta, mount, stage, create, restore}), in
     * milliseconds; phases that did not run (-1) are left out.
     */
    public java.util.Map<String, Long> phases() {
        var m = new java.util.LinkedHashMap<String, Long>();
        long[] values = {indexMs, deltaMs, mountMs, stageMs, createMs, restoreMs};
        String[] names = {"index", "delta", "mount", "stage", "create", "restore"};
        for (int i = 0; i < names.length; i++) {
            if (values[i] >= 0) {
                m.put(names[i], values[i]);
            }
        }
        return m;
    }

    /** key=value form for the daemon log. */
    public String logFields() {
        return "index_ms=" + indexMs + " delta_ms=" + deltaMs + " delta_cached=" + deltaCached + " mount_ms=" + mountMs
                + " stage_ms=" + stageMs + " staged_bytes=" + stagedBytes + " tmpfs_left_bytes=" + tmpfsLeftBytes
                + " create_ms=" + createMs + " restore_ms=" + restoreMs + " total_ms=" + totalMs;
    }
}
